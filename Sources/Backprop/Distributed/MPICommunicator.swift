// The communicator over Open MPI, compiled only with the `MPI` package trait.
//
// MPI's error handler on the world communicator is set to return codes, and
// every call goes through `check`: a failed collective is reported in one line
// naming the rank and the call, and the job is aborted, because a rank that
// throws past a collective would leave the others waiting in it forever.

#if MPI
import CMPI
import Foundation

/// The ranks that `mpirun` started, over MPI_COMM_WORLD, or the first few of them.
public final class MPICommunicator: Communicator, @unchecked Sendable {
    public let rank: Int
    public let size: Int
    /// The communicator of the collectives: MPI_COMM_WORLD, or one from `leading`.
    /// A sub-communicator is never freed: a benchmark makes one per rank count,
    /// and MPI_Finalize releases them.
    private let world: MPI_Comm

    /// Initialises MPI (MPI_THREAD_SERIALIZED: collectives may be called from a
    /// Dispatch worker, never from two threads at once). Once per process.
    init() throws {
        // Every failure is already one line naming the rank and the cause; Open
        // MPI would follow our MPI_Abort with its ten-line MPI_ABORT notice
        // (sent by this rank, printed by mpirun). Its quiet mode, read from the
        // rank's own environment at MPI_Init, drops Open MPI's help messages
        // from this process. A value the user gave (`mpirun --mca
        // orte_execute_quiet 0` or `-x OMPI_MCA_orte_execute_quiet=0`) is kept.
        setenv("OMPI_MCA_orte_execute_quiet", "1", 0)
        var provided: Int32 = 0
        let status = MPI_Init_thread(nil, nil, CMPI_THREAD_SERIALIZED(), &provided)
        guard status == CMPI_SUCCESS() else { throw LaunchError("MPI_Init_thread failed (\(status))") }
        MPI_Comm_set_errhandler(CMPI_COMM_WORLD(), CMPI_ERRORS_RETURN())
        var rank: Int32 = 0, size: Int32 = 0
        MPI_Comm_rank(CMPI_COMM_WORLD(), &rank)
        MPI_Comm_size(CMPI_COMM_WORLD(), &size)
        self.rank = Int(rank)
        self.size = Int(size)
        world = CMPI_COMM_WORLD()
    }

    private init(_ communicator: MPI_Comm) {
        var rank: Int32 = 0, size: Int32 = 0
        MPI_Comm_rank(communicator, &rank)
        MPI_Comm_size(communicator, &size)
        self.rank = Int(rank)
        self.size = Int(size)
        world = communicator
    }

    public func leading(_ count: Int) -> (any Communicator)? {
        precondition(count > 0 && count <= size)
        var sub: MPI_Comm? = CMPI_COMM_NULL()
        check(MPI_Comm_split(world, rank < count ? 0 : CMPI_UNDEFINED(), Int32(rank), &sub), "MPI_Comm_split")
        guard rank < count, let sub else { return nil }
        return MPICommunicator(sub)
    }

    public func quietBarrier() {
        var request: MPI_Request? = nil
        check(MPI_Ibarrier(world, &request), "MPI_Ibarrier")
        var done: Int32 = 0
        while true {
            check(MPI_Test(&request, &done, CMPI_STATUS_IGNORE()), "MPI_Test")
            if done != 0 { return }
            usleep(1000)
        }
    }

    private func datatype(_ type: CommunicatorElement) -> MPI_Datatype? {
        switch type {
        case .byte: CMPI_BYTE()
        case .float: CMPI_FLOAT()
        case .double: CMPI_DOUBLE()
        }
    }

    /// Aborts the job, naming this rank and the call, unless `status` is MPI_SUCCESS.
    private func check(_ status: Int32, _ call: StaticString) {
        guard status != CMPI_SUCCESS() else { return }
        var text = [CChar](repeating: 0, count: Int(CMPI_MAX_ERROR_STRING()) + 1)
        var length: Int32 = 0
        MPI_Error_string(status, &text, &length)
        let message = String(decoding: text.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        FileHandle.standardError.write(Data("backprop: error: rank \(rank) of \(size): \(call) failed: \(message)\n".utf8))
        abort(code: 1)
    }

    public func allToAll(
        send: UnsafeRawPointer, sendCounts: UnsafePointer<Int32>, sendOffsets: UnsafePointer<Int32>,
        receive: UnsafeMutableRawPointer, receiveCounts: UnsafePointer<Int32>, receiveOffsets: UnsafePointer<Int32>,
        type: CommunicatorElement
    ) {
        let t = datatype(type)
        check(MPI_Alltoallv(send, sendCounts, sendOffsets, t, receive, receiveCounts, receiveOffsets, t, world),
              "MPI_Alltoallv")
    }

    public func allGather(
        _ buffer: UnsafeMutableRawPointer, counts: UnsafePointer<Int32>, offsets: UnsafePointer<Int32>,
        type: CommunicatorElement
    ) {
        check(MPI_Allgatherv(CMPI_IN_PLACE(), 0, datatype(.byte), buffer, counts, offsets, datatype(type), world),
              "MPI_Allgatherv")
    }

    public func broadcast(_ buffer: UnsafeMutableRawPointer, count: Int, root: Int) {
        precondition(count <= Int(Int32.max))
        check(MPI_Bcast(buffer, Int32(count), datatype(.byte), Int32(root), world), "MPI_Bcast")
    }

    public func agree(_ flags: UnsafeMutablePointer<Int32>, count: Int) {
        check(MPI_Allreduce(CMPI_IN_PLACE(), flags, Int32(count), CMPI_INT(), CMPI_MAX(), world), "MPI_Allreduce")
    }

    public func abort(code: Int32) -> Never {
        MPI_Abort(CMPI_COMM_WORLD(), code)
        exit(code)
    }

    public func finish() {
        MPI_Finalize()
    }
}
#endif
