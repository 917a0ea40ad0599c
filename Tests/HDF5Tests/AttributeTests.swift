// Attributes of every kind, on the root group, on groups and on datasets.

import HDF5
import Testing
import TestSupport

@Suite struct AttributeTests {
    let directory: TestDirectory
    init() throws { directory = try TestDirectory(prefix: "HDF5Tests") }

    @Test func everyKindRoundTripsThroughAReopenedFile() throws {
        let path = directory.path("attributes.h5")
        do {
            let file = try HDF5File(path: path, mode: .truncate)
            try file.setAttribute("format", "backprop-dataset")
            try file.setAttribute("unicode", "ünïcødé — 数据 ✓")
            try file.setAttribute("empty", "")
            try file.setAttribute("epochs", 12)
            try file.setAttribute("negative", Int.min)
            try file.setAttribute("learning_rate", 0.125)
            try file.setAttribute("image_shape", [28, 28])
            try file.setAttribute("no_ints", [Int]())
            try file.setAttribute("losses", [2.5, 1.25, Double.pi])
            try file.setAttribute("classes", ["T-shirt/top", "Trouser", ""])
            try file.setAttribute("no_strings", [String]())
        }
        let file = try HDF5File(path: path)
        #expect(try file.stringAttribute("format") == "backprop-dataset")
        #expect(try file.stringAttribute("unicode") == "ünïcødé — 数据 ✓")
        #expect(try file.stringAttribute("empty") == "")
        #expect(try file.intAttribute("epochs") == 12)
        #expect(try file.intAttribute("negative") == Int.min)
        #expect(try file.doubleAttribute("learning_rate") == 0.125)
        #expect(try file.intsAttribute("image_shape") == [28, 28])
        #expect(try file.intsAttribute("no_ints") == [])
        #expect(try file.doublesAttribute("losses") == [2.5, 1.25, Double.pi])
        #expect(try file.stringsAttribute("classes") == ["T-shirt/top", "Trouser", ""])
        #expect(try file.stringsAttribute("no_strings") == [])
    }

    @Test func scalarsReadAsOneElementArraysAndIntegersAsDoubles() throws {
        let file = try HDF5File(path: directory.path("widen.h5"), mode: .truncate)
        try file.setAttribute("n", 7)
        try file.setAttribute("one", [3])
        try file.setAttribute("name", "x")
        #expect(try file.intsAttribute("n") == [7])
        #expect(try file.intAttribute("one") == 3)
        #expect(try file.doubleAttribute("n") == 7)
        #expect(try file.doublesAttribute("one") == [3])
        #expect(try file.stringsAttribute("name") == ["x"])
    }

    @Test func attributesOnGroupsAndDatasets() throws {
        let file = try HDF5File(path: directory.path("objects.h5"), mode: .truncate)
        try file.createGroup("layers/0")
        try file.write([Float(1), 2], shape: [2], to: "layers/0/b")
        try file.setAttribute("activation", "relu", on: "layers/0")
        try file.setAttribute("units", 2, on: "/layers/0/b")
        #expect(try file.stringAttribute("activation", of: "/layers/0") == "relu")
        #expect(try file.intAttribute("units", of: "layers/0/b") == 2)
        #expect(file.hasAttribute("activation", on: "layers/0"))
        #expect(!file.hasAttribute("activation"))
        #expect(!file.hasAttribute("activation", on: "missing/group"))
    }

    @Test func settingAnAttributeAgainReplacesItsValueAndType() throws {
        let file = try HDF5File(path: directory.path("replace.h5"), mode: .truncate)
        try file.setAttribute("step", 1)
        try file.setAttribute("step", 2)
        #expect(try file.intAttribute("step") == 2)
        try file.setAttribute("step", "done")
        #expect(try file.stringAttribute("step") == "done")
    }

    @Test func wrongKindOrCountIsAClearError() throws {
        let path = directory.path("wrong.h5")
        let file = try HDF5File(path: path, mode: .truncate)
        try file.setAttribute("name", "x")
        try file.setAttribute("rate", 0.5)
        try file.setAttribute("shape", [28, 28])

        let notInt = #expect(throws: HDF5Error.self) { try file.intAttribute("rate") }
        #expect(notInt?.message == "holds float64 data, expected integers")
        #expect(notInt?.object == "attribute \"rate\" of /")

        let notNumber = #expect(throws: HDF5Error.self) { try file.doubleAttribute("name") }
        #expect(notNumber?.message == "holds string data, expected numbers")

        let notString = #expect(throws: HDF5Error.self) { try file.stringAttribute("shape") }
        #expect(notString?.message == "holds int64 data, expected strings")

        let notSingle = #expect(throws: HDF5Error.self) { try file.intAttribute("shape") }
        #expect(notSingle?.message == "expected a single value, found 2")

        let missing = #expect(throws: HDF5Error.self) { try file.intAttribute("epochs") }
        #expect(missing?.description == "\(path): attribute \"epochs\" of /: no such attribute")

        let noObject = #expect(throws: HDF5Error.self) { try file.setAttribute("a", 1, on: "nope") }
        #expect(noObject?.message == "no such object")
    }

    @Test func aNulCharacterCannotBeStored() throws {
        let file = try HDF5File(path: directory.path("nul.h5"), mode: .truncate)
        let error = #expect(throws: HDF5Error.self) { try file.setAttribute("s", ["ok", "a\u{0}b"]) }
        #expect(error?.message.contains("string 1 contains a NUL character") == true)
    }
}
