import OCI
import Pipelines

// The pipeline generators' errors are input to fix (the Pipelines module is plain values and
// knows no error kinds of its own).
extension BuildMatrixError: KindedError { public var kind: ErrorKind { .usage } }
extension PipelineOptionError: KindedError { public var kind: ErrorKind { .usage } }
