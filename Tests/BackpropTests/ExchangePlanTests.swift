// The cross-rank reduction without MPI: for every shard count and rank count,
// summing each rank's nodes and then finishing the tree over them gives the
// single-process tree sum bit for bit, from values spread over 2^16 in
// magnitude where any change of order changes the bits. Also the traffic
// bound and the CPU-mask parser.

import Testing
@_spi(Benchmarking) @testable import Backprop

@Suite struct ExchangePlanTests {
    static func filledSlots(count: Int, parameters: Int) -> GradientSlots {
        let slots = GradientSlots(count: count, parameterCount: parameters)
        var generator = RandomGenerator(seed: 3, stream: 9)
        for s in 0..<count {
            for e in 0..<parameters {
                let magnitude = Float(1 << generator.nextIndex(below: 16))
                slots[s][e] = Float(generator.nextUniform(limit: 1)) * magnitude
            }
        }
        return slots
    }

    @Test(arguments: [1, 2, 3, 4, 5, 7])
    func nodesThenTheRestOfTheTreeAreTheSingleProcessSum(ranks: Int) {
        let n = 67
        for shardCount in 1...37 {
            let reference = Self.filledSlots(count: shardCount, parameters: n)
            Reducer.treeSum(reference, shardCount: shardCount, range: 0..<n)
            let slots = Self.filledSlots(count: shardCount, parameters: n)
            let plan = ExchangePlan(shardCount: shardCount, ranks: ranks)
            let nodes = Array(plan.nodes.joined())
            #expect(nodes.first?.start == 0 && nodes.last?.end == shardCount)
            #expect(zip(nodes, nodes.dropFirst()).allSatisfy { $0.end == $1.start })
            for (r, rankNodes) in plan.nodes.enumerated() {
                #expect(rankNodes.allSatisfy { plan.slotRanges[r].contains($0.start) && $0.end <= plan.slotRanges[r].upperBound })
            }
            for node in nodes {
                Reducer.treeSum(slots, first: node.start, count: node.end - node.start, range: 0..<n)
            }
            plan.finishTree(range: 0..<n) { slots[nodes[$0].start] }
            let same = (0..<n).allSatisfy { slots[0][$0].bitPattern == reference[0][$0].bitPattern }
            #expect(same, "\(shardCount) shards over \(ranks) ranks")
        }
    }

    @Test func alignedRangesSendOneNodeEach() {
        // S/R a power of two: one node per rank, so the traffic is a ring's.
        for (shards, ranks) in [(16, 2), (16, 4), (32, 8), (8, 8)] {
            let plan = ExchangePlan(shardCount: shards, ranks: ranks)
            #expect(plan.nodes.allSatisfy { $0.count == 1 }, "\(shards) shards over \(ranks) ranks")
        }
        // Otherwise a few more, about 2·log₂(S/R) at most.
        let uneven = ExchangePlan(shardCount: 24, ranks: 5)
        #expect(uneven.nodes.allSatisfy { $0.count <= 4 })
    }

    @Test func cpuListsAreCounted() {
        #expect(CPUMask.coreCount(list: "0-3,8,10-11") == 7)
        #expect(CPUMask.coreCount(list: "1") == 1)
        #expect(CPUMask.coreCount(list: "3-1") == nil)
        #expect(CPUMask.allowedCores >= 1)
    }
}
