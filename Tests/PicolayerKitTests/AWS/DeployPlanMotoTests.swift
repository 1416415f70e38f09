import Foundation
import PicolayerKit
import Testing

@Suite("picolayer deploy: the planned configuration and the published layer's architecture, against moto_server")
struct DeployPlanMotoTests {
    func deployer(_ moto: MotoServer, _ configuration: DeployConfiguration) -> Deployer {
        var configuration = configuration
        configuration.endpointURL = moto.endpoint
        return Deployer(
            configuration: configuration, credentials: .fixed(moto.credentials), transport: .live(),
            timing: FakeTiming().timing)
    }

    @Test("--dry-run reports the handler, memory, timeout, architecture and layers the deploy would set")
    func dryRunShowsPlannedValues() async throws {
        try await MotoServer.with(regions: ["us-east-1"], functions: ["existing-fn"]) { moto in
            try await withFunctionFolder { folder in
                let before = try DeployFixture.function(moto, "existing-fn")
                let layer = try DeployFixture.publishLayer(moto, "picolisp")
                let planned = try await deployer(
                    moto,
                    DeployConfiguration(
                        functionName: "existing-fn", codePath: folder, region: "us-east-1", handler: "main.handler",
                        layers: [layer], memorySize: 1024, timeout: 30, architecture: "arm64",
                        environment: ["MODE": "test"], dryRun: true)
                ).run()
                #expect(before.handler == "x")
                #expect(planned.handler == "main.handler")
                #expect(planned.memorySize == 1024)
                #expect(planned.timeout == 30)
                #expect(planned.architectures == ["arm64"])
                #expect(planned.layers == before.layers + [layer])
                #expect(planned.environmentNames == ["MODE"])
                #expect(planned.configurationChanged == ["Handler", "MemorySize", "Timeout", "Environment", "Layers"])
                let table = planned.table()
                #expect(table.contains("handler       main.handler"))
                #expect(table.contains("memory        1024 MB"))
                #expect(table.contains("architecture  arm64"))
                let after = try DeployFixture.function(moto, "existing-fn")
                #expect(after.handler == before.handler)
                #expect(after.memorySize == before.memorySize)
                #expect(after.layers == before.layers)
            }
        }
    }

    @Test("--with-published-layer takes the newest version for --arch, else for the function's own architecture")
    func publishedLayerFollowsArchitecture() async throws {
        try await MotoServer.with(regions: ["us-east-1"], functions: ["existing-fn"]) { moto in
            try await withFunctionFolder { folder in
                let arm = try DeployFixture.publishLayer(moto, "picolisp", architectures: ["arm64"])
                _ = try DeployFixture.publishLayer(moto, "picolisp", architectures: ["x86_64"])
                let x86 = try DeployFixture.publishLayer(moto, "picolisp", architectures: ["x86_64"])
                let deployed = try await deployer(
                    moto,
                    DeployConfiguration(
                        functionName: "existing-fn", codePath: folder, region: "us-east-1", withPublishedLayer: true,
                        architecture: "arm64")
                ).run()
                #expect(deployed.layers.last == arm)
                let state = try DeployFixture.function(moto, "existing-fn")
                #expect(state.layers.last == arm)

                // Without --arch: the function's own architecture (x86_64 here; moto keeps it on an update).
                let x86Plan = try await deployer(
                    moto,
                    DeployConfiguration(
                        functionName: "existing-fn", codePath: folder, region: "us-east-1", withPublishedLayer: true,
                        dryRun: true)
                ).run()
                #expect(x86Plan.layers.last == x86)

                // A function created for arm64 gets the arm64 version, and keeps getting it without --arch.
                let created = try await deployer(
                    moto,
                    DeployConfiguration(
                        functionName: "arm-fn", codePath: folder, region: "us-east-1", withPublishedLayer: true,
                        create: true, role: MotoServer.functionRoleArn, architecture: "arm64")
                ).run()
                #expect(created.layers == [arm])
                #expect(try DeployFixture.function(moto, "arm-fn").architectures == ["arm64"])
                let armPlan = try await deployer(
                    moto,
                    DeployConfiguration(
                        functionName: "arm-fn", codePath: folder, region: "us-east-1", withPublishedLayer: true,
                        dryRun: true)
                ).run()
                #expect(armPlan.layers == [arm])

                // A version that names no architecture fits any, so the newest one wins.
                let any = try DeployFixture.publishLayer(moto, "picolisp")
                let anyPlan = try await deployer(
                    moto,
                    DeployConfiguration(
                        functionName: "arm-fn", codePath: folder, region: "us-east-1", withPublishedLayer: true,
                        dryRun: true)
                ).run()
                #expect(anyPlan.layers == [any])
            }
        }
    }

    @Test("no version for the architecture: an error naming the layer, the versions seen and their architectures")
    func noCompatibleVersion() async throws {
        try await MotoServer.with(regions: ["us-east-1"], functions: ["existing-fn"]) { moto in
            try await withFunctionFolder { folder in
                _ = try DeployFixture.publishLayer(moto, "x86-only", architectures: ["x86_64"])
                _ = try DeployFixture.publishLayer(moto, "x86-only", architectures: ["x86_64"])
                let before = try DeployFixture.function(moto, "existing-fn")
                let error = await #expect(throws: DeployError.self) {
                    try await deployer(
                        moto,
                        DeployConfiguration(
                            functionName: "existing-fn", codePath: folder, region: "us-east-1",
                            withPublishedLayer: true, layerName: "x86-only", architecture: "arm64")
                    ).run()
                }
                let seen = [
                    DeployError.SeenVersion(version: 2, architectures: ["x86_64"]),
                    DeployError.SeenVersion(version: 1, architectures: ["x86_64"]),
                ]
                #expect(
                    error
                        == .noCompatibleLayerVersion(
                            name: "x86-only", region: "us-east-1", architecture: "arm64", seen: seen))
                let message = error?.localizedDescription ?? ""
                #expect(message.contains("layer x86-only has no version for arm64 in us-east-1"))
                #expect(message.contains("versions seen: 2 (x86_64), 1 (x86_64)"))
                let after = try DeployFixture.function(moto, "existing-fn")
                #expect(after.codeSha256 == before.codeSha256)
                #expect(after.architectures == before.architectures)
            }
        }
    }
}
