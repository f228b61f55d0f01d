/// The nearest of some names to what was typed (a transposition counts as one edit), when it
/// is near enough to be what was meant.
public enum Suggestion {
    public static func nearest(to typed: String, among names: [String]) -> String? {
        let scored = names.map { (name: $0, distance: distance(typed, $0)) }
        guard let best = scored.min(by: { $0.distance < $1.distance }) else { return nil }
        if best.distance <= max(1, min(2, best.name.count / 3)) { return best.name }
        // A unique prefix of three letters or more (`insp` for inspect).
        let prefixed = names.filter { typed.count >= 3 && $0.hasPrefix(typed) }
        return prefixed.count == 1 ? prefixed[0] : nil
    }

    /// Optimal string alignment distance (Damerau-Levenshtein without repeated edits).
    public static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var d = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { d[i][0] = i }
        for j in 0...b.count { d[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] { d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1) }
            }
        }
        return d[a.count][b.count]
    }
}
