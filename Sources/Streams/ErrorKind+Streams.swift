import OCI

extension StreamError: KindedError { public var kind: ErrorKind { .failed } }
extension InterruptedError: KindedError { public var kind: ErrorKind { .interrupted } }
extension CollectingSink.LimitExceeded: KindedError { public var kind: ErrorKind { .corrupt } }
extension OutputPath.Problem: KindedError { public var kind: ErrorKind { .usage } }
