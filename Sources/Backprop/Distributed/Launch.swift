// Which communicator a process runs with: MPI's when a launcher (mpirun,
// mpiexec, srun) started it, one process otherwise. MPI is initialised only
// then: a singleton MPI_Init costs half a second and would start an Open MPI
// runtime for a plain `backprop train`.

import Foundation

/// A process that cannot join the run it was started in.
public struct LaunchError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

public enum Launch {
    /// The world size the launcher announced in the environment, if any
    /// launcher did (Open MPI, PMIx, or PMI as MPICH's Hydra and Slurm set it).
    public static func announcedWorldSize(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> Int? {
        if let size = environment["OMPI_COMM_WORLD_SIZE"].flatMap(Int.init) { return size }
        if let size = environment["PMI_SIZE"].flatMap(Int.init) { return size }
        if environment["PMIX_RANK"] != nil { return environment["PMIX_SIZE"].flatMap(Int.init) ?? 0 }
        return nil
    }

    /// Whether this binary was built with the `MPI` trait.
    public static var mpiAvailable: Bool {
        #if MPI
        true
        #else
        false
        #endif
    }

    /// The communicator of this process: MPI when a launcher started it.
    ///
    /// - Throws: `LaunchError` when a launcher started a binary built without
    ///   MPI (R copies would each train alone and race on one checkpoint), or
    ///   when MPI's world is smaller than the launcher said (an Open MPI binary
    ///   under another MPI's launcher runs as R separate singletons).
    public static func communicator() throws -> any Communicator {
        guard let announced = announcedWorldSize() else { return SingleProcess() }
        #if MPI
        let communicator = try MPICommunicator()
        if announced > 1, communicator.size != announced {
            throw LaunchError("the launcher started \(announced) processes but MPI sees a world of \(communicator.size): this binary is built against Open MPI; start it with Open MPI's mpirun")
        }
        return communicator
        #else
        if announced > 1 {
            throw LaunchError("started by an MPI launcher as one of \(announced) processes, but this backprop was built without MPI; build it with: swift build -c release --traits MPI")
        }
        return SingleProcess()
        #endif
    }
}
