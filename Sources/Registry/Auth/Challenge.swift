/// A `WWW-Authenticate` challenge: `Bearer realm="…",service="…",scope="…"` or `Basic realm="…"`.
public struct Challenge: Sendable, Hashable {
    public enum Scheme: String, Sendable { case basic, bearer }
    public var scheme: Scheme
    public var parameters: [String: String]

    public var realm: String? { parameters["realm"] }
    public var service: String? { parameters["service"] }
    public var scope: String? { parameters["scope"] }
    public var error: String? { parameters["error"] }

    /// Parses the first Basic or Bearer challenge of a header value. Quoted values may hold
    /// commas and escaped quotes; parameter names are case-insensitive.
    public static func parse(_ header: String) -> Challenge? {
        var scanner = Substring(header)
        while !scanner.isEmpty {
            scanner = scanner.drop { $0 == " " || $0 == "," }
            let schemeName = scanner.prefix { $0 != " " && $0 != "," }
            scanner = scanner.dropFirst(schemeName.count)
            var parameters: [String: String] = [:]
            // Parameters: name=value or name="quoted", separated by commas.
            while true {
                let save = scanner
                scanner = scanner.drop { $0 == " " || $0 == "," }
                let name = scanner.prefix { $0 != "=" && $0 != " " && $0 != "," }
                guard !name.isEmpty, scanner.dropFirst(name.count).first == "=" else { scanner = save; break }
                scanner = scanner.dropFirst(name.count + 1)
                var value = ""
                if scanner.first == "\"" {
                    scanner = scanner.dropFirst()
                    var escaped = false
                    while let character = scanner.first {
                        scanner = scanner.dropFirst()
                        if escaped { value.append(character); escaped = false }
                        else if character == "\\" { escaped = true }
                        else if character == "\"" { break }
                        else { value.append(character) }
                    }
                } else {
                    let token = scanner.prefix { $0 != "," && $0 != " " }
                    value = String(token)
                    scanner = scanner.dropFirst(token.count)
                }
                parameters[name.lowercased()] = value
            }
            if let scheme = Scheme(rawValue: schemeName.lowercased()) {
                return Challenge(scheme: scheme, parameters: parameters)
            }
            if schemeName.isEmpty { break }
        }
        return nil
    }
}

/// A token scope: `repository:NAME:pull,push`.
public struct Scope: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let repository: String
    public let actions: [String]

    public init(repository: String, actions: [String]) {
        self.repository = repository
        self.actions = actions
    }

    public static func pull(_ repository: String) -> Scope { Scope(repository: repository, actions: ["pull"]) }
    public static func push(_ repository: String) -> Scope { Scope(repository: repository, actions: ["pull", "push"]) }

    public var description: String { "repository:\(repository):\(actions.joined(separator: ","))" }
    public static func < (lhs: Scope, rhs: Scope) -> Bool { lhs.description < rhs.description }
}
