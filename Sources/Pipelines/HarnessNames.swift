/// What Harness accepts where a pipeline names things (the patterns of its v0 JSON schema),
/// checked before a pipeline is printed: a bad identifier would only fail on import.
public enum HarnessNames {
    /// `^[a-zA-Z_][0-9a-zA-Z_]{0,127}$`: pipeline, stage, step and variable identifiers.
    public static func isIdentifier(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, text.unicodeScalars.count <= 128 else { return false }
        return (isLetter(first) || first == "_") && text.unicodeScalars.allSatisfy { isLetter($0) || isDigit($0) || $0 == "_" }
    }

    /// `^[a-zA-Z_0-9-.][-0-9a-zA-Z_\s.]{0,127}$`: display names (spaces allowed, not first).
    public static func isName(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, text.unicodeScalars.count <= 128 else { return false }
        func allowed(_ scalar: Unicode.Scalar) -> Bool { isLetter(scalar) || isDigit(scalar) || "_-.".unicodeScalars.contains(scalar) }
        return allowed(first) && text.unicodeScalars.allSatisfy { allowed($0) || $0 == " " }
    }

    /// A connector or secret reference: `id`, `org.id` or `account.id`, or an expression.
    public static func isReference(_ text: String) -> Bool {
        if isExpression(text) { return true }
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        if parts.count == 2 { return (parts[0] == "account" || parts[0] == "org") && isIdentifier(parts[1]) }
        return isIdentifier(text)
    }

    /// A Kubernetes namespace (a DNS-1123 label), or an expression.
    public static func isNamespace(_ text: String) -> Bool {
        isExpression(text) || KubernetesNames.isLabel(text)
    }

    /// `<+…>` with balanced `<+ >` pairs inside (as `<+<+pipeline.variables.x>.split(",")>`).
    public static func isExpression(_ text: String) -> Bool {
        guard text.hasPrefix("<+"), text.hasSuffix(">") else { return false }
        var depth = 0
        var scalars = Array(text.unicodeScalars)[...]
        while let scalar = scalars.first {
            scalars = scalars.dropFirst()
            if scalar == "<", scalars.first == "+" {
                depth += 1
                scalars = scalars.dropFirst()
            } else if scalar == ">" {
                depth -= 1
                if depth == 0 { return scalars.isEmpty }
                if depth < 0 { return false }
            } else if scalar.value < 0x20 {
                return false
            }
        }
        return false
    }

    /// An identifier made from a display name: other characters become `_`.
    public static func identifier(from name: String) -> String {
        var scalars = name.unicodeScalars.prefix(128).map { isLetter($0) || isDigit($0) ? Character($0) : "_" }
        if let first = scalars.first, first.isNumber { scalars.insert("_", at: 0) }
        return String(scalars.prefix(128))
    }

    static func isLetter(_ scalar: Unicode.Scalar) -> Bool { ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) }
    static func isDigit(_ scalar: Unicode.Scalar) -> Bool { ("0"..."9").contains(scalar) }
}

public enum KubernetesNames {
    /// RFC 1123 label: lowercase letters, digits and '-', starting and ending alphanumeric, ≤ 63.
    public static func isLabel(_ text: String) -> Bool {
        isDNSName(text, maximum: 63, dots: false)
    }

    /// RFC 1123 subdomain (ConfigMap, Secret and Job names): labels joined by '.', ≤ 253.
    public static func isSubdomain(_ text: String) -> Bool {
        isDNSName(text, maximum: 253, dots: true)
    }

    static func isDNSName(_ text: String, maximum: Int, dots: Bool) -> Bool {
        guard !text.isEmpty, text.count <= maximum else { return false }
        let labels = dots ? text.split(separator: ".", omittingEmptySubsequences: false).map(String.init) : [text]
        return labels.allSatisfy { label in
            guard let first = label.unicodeScalars.first, let last = label.unicodeScalars.last, label.count <= 63 else { return false }
            func alphanumeric(_ scalar: Unicode.Scalar) -> Bool { ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar) }
            return alphanumeric(first) && alphanumeric(last) && label.unicodeScalars.allSatisfy { alphanumeric($0) || $0 == "-" }
        }
    }
}
