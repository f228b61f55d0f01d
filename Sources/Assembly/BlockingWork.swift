import Streams

/// Hands a non-Sendable object to exactly one other thread at a time (the caller awaits it),
/// which is the ownership discipline the compiler cannot see through a Thread.
struct Handoff<Value>: @unchecked Sendable {
    let value: Value
}
