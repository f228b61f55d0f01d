import OCI
import Testing

/// The one escaping function every human view and error line uses.
@Suite struct DiagnosticsTests {
    @Test(arguments: [
        ("plain text, é, 😀", "plain text, é, 😀"),
        ("a\nb\rc\td", "a\\nb\\rc\\td"),
        ("\u{1b}[2J\u{1b}]0;t\u{07}", "\\u{1b}[2J\\u{1b}]0;t\\u{7}"),
        ("nul\u{0} del\u{7f} c1\u{85}\u{9b}", "nul\\u{0} del\\u{7f} c1\\u{85}\\u{9b}"),
        ("ls\u{2028}ps\u{2029}", "ls\\u{2028}ps\\u{2029}"),
        ("\u{202e}gpj.exe\u{202c} \u{2066}i\u{2069} \u{200f}\u{200e}\u{61c}", "\\u{202e}gpj.exe\\u{202c} \\u{2066}i\\u{2069} \\u{200f}\\u{200e}\\u{61c}"),
        ("back\\slash \\u{1b} stays", "back\\slash \\u{1b} stays"),
    ])
    func controlsAreEscaped(input: String, expected: String) {
        #expect(escapedForMessage(input) == expected)
        #expect(escapedForMessage(escapedForMessage(input)) == expected)  // idempotent
    }
}
