/// Lines within yamllint's default width (80 columns), so generated files pass
/// `yamllint --strict` with its defaults: a scalar that does not fit is folded, a long
/// comment wrapped. yamllint lets one unbreakable word (`- WORD`, `# WORD`, or a line that
/// is a WORD alone) run past the width; `key: WORD` it does not.
extension YAMLWriter {
    public static let width = 80

    /// `rendered` (a scalar as written: plain or double-quoted) after a key or `-` at `column`,
    /// with its leading space. When it does not fit: a single word moves to a line of its own
    /// when `wordMayMove` (after a key; yamllint allows a long word alone, and `- WORD`), else
    /// stays; anything with a space is written double-quoted over several lines indented
    /// `indent` (see `folded`).
    static func fitted(_ rendered: String, column: Int, indent: Int, margin: Int, wordMayMove: Bool) -> String {
        if column + rendered.count <= width { return " " + rendered }
        let pad = String(repeating: " ", count: indent)
        guard rendered.contains(" ") else {
            let ownLine = margin + indent + rendered.count
            return wordMayMove && ownLine < column + rendered.count ? "\n" + pad + rendered : " " + rendered
        }
        let quoted = rendered.hasPrefix("\"") ? rendered : doubleQuoted(rendered)
        return " " + folded(quoted, column: column, continuation: margin + indent).joined(separator: "\n" + pad)
    }

    /// A double-quoted scalar over lines that each fit, reading back as the same string:
    /// broken at a single space between two other characters where one is near enough (YAML
    /// folds that line break back into the space), else by an escaped line break (a final
    /// `\`, which adds nothing; the next line's leading space is written `\ `).
    static func folded(_ quoted: String, column: Int, continuation: Int) -> [String] {
        let units = escapeUnits(quoted)
        func length(_ range: Range<Int>) -> Int {
            range.reduce(0) { $0 + units[$1].count } + (range.first.map { units[$0] == " " ? 1 : 0 } ?? 0)
        }
        func render(_ range: Range<Int>) -> String {
            range.map { $0 == range.lowerBound && units[$0] == " " ? "\\ " : units[$0] }.joined()
        }
        func foldable(_ k: Int) -> Bool {
            units[k] == " " && k > 1 && k < units.count - 2 && units[k - 1] != " " && units[k + 1] != " "
        }
        var lines: [String] = []
        var start = 0, budget = width - column
        while start < units.count {
            if length(start..<units.count) <= budget {
                lines.append(render(start..<units.count))
                break
            }
            if let k = (start + 1..<units.count).last(where: { foldable($0) && length(start..<$0) <= budget }), k > start {
                lines.append(render(start..<k))
                start = k + 1
            } else {
                // The longest piece that fits with its `\`, ending after a space when one can.
                let ends = (start + 1..<units.count).filter { length(start..<$0) + 1 <= budget }
                let end = ends.last(where: { units[$0 - 1] == " " && units[$0] != " " }) ?? ends.last ?? start + 1
                lines.append(render(start..<end) + "\\")
                start = end
            }
            budget = width - continuation
        }
        return lines
    }

    /// The scalar's characters, an escape sequence (`\"`, `\\`, `\n`, `\u00A0`) as one unit.
    static func escapeUnits(_ quoted: String) -> [String] {
        var units: [String] = [], characters = Array(quoted)[...]
        while let first = characters.first {
            var count = 1
            if first == "\\", characters.count > 1 { count = characters.dropFirst().first == "u" ? 6 : 2 }
            units.append(String(characters.prefix(count)))
            characters = characters.dropFirst(count)
        }
        return units
    }

    /// `# comment` lines, wrapped at spaces to the width (an empty comment is a bare `#`).
    static func commentLines(_ comment: String) -> String {
        guard !comment.isEmpty else { return "#\n" }
        var out = "", line = "#"
        for word in comment.split(separator: " ", omittingEmptySubsequences: true) {
            if line != "#", line.count + 1 + word.count > width {
                out += line + "\n"
                line = "#"
            }
            line += " " + word
        }
        return out + line + "\n"
    }
}
