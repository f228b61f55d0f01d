import Foundation
import Streams

/// Where `MergedFilesystem` keeps the content of selected files while layers are applied.
/// Files get flat, numbered names rather than their image paths: nothing a layer contains
/// (symlinked parents, a file replaced by a directory, odd bytes in names) can then make a write
/// land outside the directory or collide with another entry.
final class StagingArea {
    let directory: String
    private var counter = 0

    /// The directory is created if missing and must be empty: every file in it belongs to us.
    init(directory: String) throws {
        let manager = FileManager.default
        do {
            try manager.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw LayerError.io("cannot create staging directory \(directory): \(describeSystemError(error))")
        }
        guard (try? manager.contentsOfDirectory(atPath: directory).isEmpty) == true else {
            throw LayerError.io("staging directory \(directory) is not empty")
        }
        self.directory = directory
    }

    /// Streams the reader's current entry into a new staged file.
    func stage(from reader: LayerReader) throws -> String {
        let path = nextPath()
        do {
            let sink = try FileSink(path: path)
            try reader.readData(into: sink)
            try sink.close()
        } catch {
            unlink(path)
            throw error
        }
        return path
    }

    /// A second name for staged content (a hard link of the image): a filesystem hard link when
    /// possible, a copy otherwise. Either name can then be released independently.
    func share(_ staged: String) throws -> String {
        let path = nextPath()
        if link(staged, path) == 0 { return path }
        do {
            let sink = try FileSink(path: path)
            try FileSource(path: staged).pump(to: sink)
            try sink.close()
        } catch {
            unlink(path)
            throw error
        }
        return path
    }

    func release(_ staged: String) { unlink(staged) }

    private func nextPath() -> String {
        counter += 1
        return directory + "/" + String(counter)
    }
}
