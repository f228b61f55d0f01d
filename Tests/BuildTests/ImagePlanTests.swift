import Testing
@testable import Build

@Suite struct ImagePlanPlaceholder {
    @Test func placeholder() { #expect(Bool(true)) }
}
