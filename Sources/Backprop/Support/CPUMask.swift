// How many cores this process may run on: the kernel's CPU affinity mask, as
// /proc/self/status reports it ("Cpus_allowed_list: 0-3,8"). Under `mpirun`,
// Open MPI binds each rank to one core by default, while Foundation's
// `activeProcessorCount` still counts the whole machine; as many workers as
// that would then share one core.

import Foundation

public enum CPUMask {
    /// The cores in this process's affinity mask (the machine's when unknown).
    public static var allowedCores: Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Cpus_allowed_list:") }),
              let count = coreCount(list: line.dropFirst("Cpus_allowed_list:".count).trimmingCharacters(in: .whitespaces)),
              count > 0
        else { return ProcessInfo.processInfo.activeProcessorCount }
        return count
    }

    /// The cores of the machine that are online.
    public static var machineCores: Int { ProcessInfo.processInfo.activeProcessorCount }

    /// How many cores a kernel CPU list such as "0-3,8,10-11" names.
    static func coreCount(list: String) -> Int? {
        var count = 0
        for part in list.split(separator: ",") {
            let bounds = part.split(separator: "-").map { Int($0.trimmingCharacters(in: .whitespaces)) }
            switch bounds.count {
            case 1: guard bounds[0] != nil else { return nil }; count += 1
            case 2:
                guard let low = bounds[0], let high = bounds[1], high >= low else { return nil }
                count += high - low + 1
            default: return nil
            }
        }
        return count
    }
}
