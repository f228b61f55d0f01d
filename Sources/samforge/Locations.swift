import Assembly
import Registry

/// Opens any `ImageLocation` as a source or a destination.
func openSource(_ location: ImageLocation, client: RegistryClient) throws -> ImageSource {
    switch location {
    case .registry(let reference): return RegistrySource(client: client, reference: reference)
    case .ociLayout, .dockerArchive: throw UsageError("\(location): not supported yet")
    }
}

func openDestination(_ location: ImageLocation, client: RegistryClient) throws -> ImageDestination {
    switch location {
    case .registry(let reference): return RegistryDestination(client: client, reference: reference)
    case .ociLayout, .dockerArchive: throw UsageError("\(location): not supported yet")
    }
}

extension ImageLocation {
    /// The registry host a destination pushes to (for DOCKER_USERNAME/DOCKER_PASSWORD).
    var registryHost: String? {
        if case .registry(let reference) = self { return reference.host }
        return nil
    }
}
