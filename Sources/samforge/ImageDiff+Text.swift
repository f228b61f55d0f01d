import OCI

/// The human view of a diff: A's and B's values next to each other, `=` shared, `-` only in a,
/// `+` only in b, `~` changed. Everything an image supplies is escaped (a name or value cannot
/// move the cursor or start a terminal sequence).
extension ImageDiff {
    func humanView() -> String {
        var lines = ["a: \(describe(a))", "b: \(describe(b))", "", "config"]
        lines += fieldLines("platform", config.platform)
        lines += fieldLines("Entrypoint", config.Entrypoint, list: true)
        lines += fieldLines("Cmd", config.Cmd, list: true)
        lines += fieldLines("WorkingDir", config.WorkingDir)
        lines += fieldLines("User", config.User)
        lines += pairLines("Env", config.Env, separator: "=")
        lines += pairLines("Labels", config.Labels, separator: "=")
        lines += [""] + layerLines()
        if let files { lines += [""] + files.lines() }
        return lines.joined(separator: "\n")
    }

    private func describe(_ side: Side) -> String {
        var text = escapedForMessage(side.reference) + " (" + side.manifestDigest.description
        if let platform = side.platform { text += ", " + escapedForMessage(platform) }
        return text + ")"
    }

    static let labelWidth = 13

    private func label(_ name: String) -> String { "  " + name.padded(Self.labelWidth) }

    private func shown(_ value: [String]?, list: Bool) -> String {
        guard let value else { return "(none)" }
        guard list else { return escapedForMessage(value.joined()) }
        return "[" + value.map { "\"" + escapedForMessage($0) + "\"" }.joined(separator: ", ") + "]"
    }

    private func fieldLines(_ name: String, _ field: Field, list: Bool = false) -> [String] {
        if field.same { return [label(name) + shown(field.a, list: list) + " (same)"] }
        return [label(name) + "a: " + shown(field.a, list: list),
                String(repeating: " ", count: 2 + Self.labelWidth) + "b: " + shown(field.b, list: list)]
    }

    private func pairLines(_ name: String, _ pairs: Pairs, separator: String) -> [String] {
        if pairs.same { return [label(name) + "the same (\(pairs.unchanged))"] }
        var counts = ["\(pairs.unchanged) the same"]
        if !pairs.changed.isEmpty { counts.append("\(pairs.changed.count) changed") }
        if !pairs.added.isEmpty { counts.append("\(pairs.added.count) only in b") }
        if !pairs.removed.isEmpty { counts.append("\(pairs.removed.count) only in a") }
        var lines = [label(name) + counts.joined(separator: ", ")]
        for change in pairs.changed {
            let key = "    ~ " + escapedForMessage(change.key) + "  "
            lines.append(key + "a: " + escapedForMessage(change.a))
            lines.append(String(repeating: " ", count: key.count) + "b: " + escapedForMessage(change.b))
        }
        lines += pairs.removed.map { "    - " + escapedForMessage($0) }
        lines += pairs.added.map { "    + " + escapedForMessage($0) }
        return lines
    }

    private func layerLines() -> [String] {
        var lines = ["layers: \(layers.shared.count) shared, \(layers.onlyA.count) only in a, \(layers.onlyB.count) only in b"]
        func line(_ mark: String, _ layer: Layer) -> String {
            let at = [layer.a.map { "a#\($0)" }, layer.b.map { "b#\($0)" }].compactMap { $0 }.joined(separator: " ")
            let recompressed = layers.recompressed.contains(layer.digest) ? "  (same content as a layer of a, compressed differently)" : ""
            let createdBy = layer.createdBy.map { "  " + escapedForMessage($0.count > 80 ? String($0.prefix(79)) + "..." : $0) } ?? ""
            return "  \(mark) \(layer.digest.short)  \(humanSize(layer.size).leftPadded(8))  \(at.padded(9))" + createdBy + recompressed
        }
        lines += layers.shared.map { line("=", $0) }
        lines += layers.onlyA.map { line("-", $0) }
        lines += layers.onlyB.map { line("+", $0) }
        return lines
    }
}

extension FilesDiff {
    func lines() -> [String] {
        var lines = ["files: \(added.count) only in b, \(removed.count) only in a, \(changed.count) changed, \(unchanged) the same"]
        func describe(_ entry: Entry) -> String {
            var text = "\(entry.type) \(entry.mode) \(entry.uid)/\(entry.gid)"
            if entry.type == "file" { text += " " + humanSize(entry.size) }
            if let target = entry.linkTarget { text += " -> " + escapedForMessage(target) }
            return text
        }
        lines += removed.map { "  - " + escapedForMessage($0.path) + "  " + describe($0) }
        lines += added.map { "  + " + escapedForMessage($0.path) + "  " + describe($0) }
        for change in changed {
            let parts = change.changes.map { name -> String in
                switch name {
                case "type": return "type \(change.a.type) -> \(change.b.type)"
                case "size": return "size \(humanSize(change.a.size)) -> \(humanSize(change.b.size))"
                case "mode": return "mode \(change.a.mode) -> \(change.b.mode)"
                case "owner": return "owner \(change.a.uid)/\(change.a.gid) -> \(change.b.uid)/\(change.b.gid)"
                default: return "link target \(escapedForMessage(change.a.linkTarget ?? "(none)")) -> \(escapedForMessage(change.b.linkTarget ?? "(none)"))"
                }
            }
            lines.append("  ~ " + escapedForMessage(change.path) + "  " + parts.joined(separator: "; "))
        }
        return lines
    }
}
