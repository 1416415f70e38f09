import Foundation
import PicolayerKit

/// A real `moto_server` on 127.0.0.1 (port 0) with SigV4 checking switched on, and boto3 as an independent client
/// to set it up and to read its state afterwards. moto checks signatures (and IAM policies) only after
/// `POST /moto-api/reset-auth` has said how many calls may pass unchecked; the setup calls run before that.
struct MotoServer {
    let endpoint: String
    let credentials: AWSCredentials

    enum Failure: Error, CustomStringConvertible {
        case failed(String)
        var description: String {
            switch self {
            case .failed(let text): return text
            }
        }
    }

    /// moto's default account.
    static let account = "123456789012"
    /// A role any principal (and GitHub's OIDC provider) may assume, allowed what the user is allowed.
    static let deployerRoleArn = "arn:aws:iam::123456789012:role/picolayer-deployer"
    /// The execution role the functions made by `functions:` run with.
    static let functionRoleArn = "arn:aws:iam::123456789012:role/picolayer-fn"

    /// Lets the next `count` requests through without a signature check (moto's `reset-auth`), e.g. for the
    /// unsigned AssumeRoleWithWebIdentity; checking resumes after them.
    func allowUnsignedRequests(_ count: Int) throws {
        _ = try Self.python(["reset-auth", endpoint, String(count)])
    }

    /// Starts moto, creates an IAM user allowed lambda:*, s3:*, sts:* and iam:PassRole, the role
    /// `picolayer-deployer` with the same rights, buckets and functions with boto3 while auth is off, then
    /// switches signature checking on. The server is stopped and its files removed after `body`.
    static func with<T>(
        regions: [String], buckets: [String] = [], functions: [String] = [],
        _ body: (MotoServer) async throws -> T
    ) async throws -> T {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("picolayer-moto-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let log = directory.appendingPathComponent("server.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        // moto runs detached (forked by a short-lived python3 that exits at once), with every inherited
        // descriptor but stdout/stderr closed: a pipe another test has open must not stay open for moto's whole
        // life, and Foundation's own child-watching socket must not be closed under a child it still waits for.
        let pidFile = directory.appendingPathComponent("server.pid")
        let handle = try FileHandle(forWritingTo: log)
        let launcher = Process()
        launcher.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        launcher.arguments = [
            "python3", "-c", launcherScript, pidFile.path, "moto_server", "-H", "127.0.0.1", "-p", "0",
        ]
        launcher.standardOutput = handle
        launcher.standardError = handle
        launcher.standardInput = FileHandle.nullDevice
        try launcher.run()
        launcher.waitUntilExit()
        try? handle.close()
        guard launcher.terminationStatus == 0,
            let pidText = try? String(contentsOf: pidFile, encoding: .utf8), let pid = pid_t(pidText)
        else {
            throw Failure.failed("could not start moto_server. Run scripts/install-test-deps.sh (pip moto[server]).")
        }
        defer { stop(pid) }
        var port: String?
        for _ in 0..<300 where port == nil {
            let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            if let range = text.range(of: "Running on http://127.0.0.1:") {
                port = String(text[range.upperBound...].prefix { $0.isNumber })
            } else if kill(pid, 0) != 0 {
                throw Failure.failed(
                    "moto_server exited: \(text). Run scripts/install-test-deps.sh (pip moto[server]).")
            } else {
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        guard let port else { throw Failure.failed("moto_server did not report its port within 30 s") }
        let endpoint = "http://127.0.0.1:\(port)"
        let setup = try python(
            [
                "setup", endpoint, regions.joined(separator: ","), buckets.joined(separator: ","),
                functions.joined(separator: ","),
            ])
        guard let json = try JSONSerialization.jsonObject(with: Data(setup.utf8)) as? [String: String],
            let keyId = json["AccessKeyId"], let secret = json["SecretAccessKey"]
        else { throw Failure.failed("unexpected setup output: \(setup)") }
        let server = MotoServer(
            endpoint: endpoint, credentials: AWSCredentials(accessKeyId: keyId, secretAccessKey: secret, source: "moto")
        )
        return try await body(server)
    }

    /// The server's view of a layer in a region, read with boto3 using the same IAM key (signature checked).
    struct LayerState: Decodable {
        struct Version: Decodable {
            var Version: Int
            var CodeSha256: String
        }
        var versions: [Version]
        var policy: String?
        var functionLayers: [String: [String]]
        var objects: [String]
    }

    func state(region: String, layer: String, functions: [String] = [], bucket: String? = nil) throws -> LayerState {
        let output = try Self.python(
            [
                "state", endpoint, credentials.accessKeyId, credentials.secretAccessKey, region, layer,
                functions.joined(separator: ","), bucket ?? "",
            ])
        return try JSONDecoder().decode(LayerState.self, from: Data(output.utf8))
    }

    /// SIGTERM, then SIGKILL if moto is still there after 5 s. moto is not our child (see `with`), so its exit
    /// is seen with `kill(pid, 0)`; init reaps it.
    static func stop(_ pid: pid_t) {
        kill(pid, SIGTERM)
        for _ in 0..<50 where kill(pid, 0) == 0 { usleep(100_000) }
        if kill(pid, 0) == 0 { kill(pid, SIGKILL) }
    }

    static let launcherScript = """
        import os, sys
        pid = os.fork()
        if pid == 0:
            os.setsid()
            os.closerange(3, 65536)
            os.execvp(sys.argv[2], sys.argv[2:])
        with open(sys.argv[1], "w") as f:
            f.write(str(pid))
        """

    /// Runs the boto3 fixture. Output goes through files, not pipes: a pipe's write end could be inherited by a
    /// moto_server started meanwhile by another test, and the read would then never see end-of-file.
    static func python(_ arguments: [String]) throws -> String {
        let run = try runCapturingFiles(["python3", "-c", fixtureScript] + arguments)
        guard run.status == 0 else {
            throw Failure.failed("boto3 fixture \(arguments.first ?? "") failed: \(run.stderr)")
        }
        return run.stdout
    }

    /// `runCapturingFiles` for async tests, waiting on a thread of its own (see ``onOwnThread(_:)``).
    static func runCapturingFiles(_ arguments: [String], environment: [String: String]? = nil) async throws -> (
        status: Int32, stdout: String, stderr: String
    ) {
        try await onOwnThread {
            try runCapturingFiles(arguments, environment: environment)
                as (status: Int32, stdout: String, stderr: String)
        }
    }

    /// Runs a program (looked up on PATH) to completion, its output captured in files rather than pipes.
    static func runCapturingFiles(_ arguments: [String], environment: [String: String]? = nil) throws -> (
        status: Int32, stdout: String, stderr: String
    ) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("picolayer-boto3-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let outURL = directory.appendingPathComponent("out")
        let errURL = directory.appendingPathComponent("err")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let out = try FileHandle(forWritingTo: outURL)
        let err = try FileHandle(forWritingTo: errURL)
        defer {
            try? out.close()
            try? err.close()
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        if let environment { process.environment = environment }
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return (
            process.terminationStatus, (try? String(contentsOf: outURL, encoding: .utf8)) ?? "",
            (try? String(contentsOf: errURL, encoding: .utf8)) ?? ""
        )
    }

    /// The boto3 side: `setup ENDPOINT REGIONS BUCKETS FUNCTIONS` and `state ENDPOINT KEY SECRET REGION LAYER FUNCTIONS BUCKET`.
    static let fixtureScript = #"""
        import io, json, sys, urllib.request, zipfile
        import boto3

        EMPTY = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        ALLOWED = ["lambda:*", "s3:*", "sts:*", "logs:*", "iam:PassRole"]

        def client(service, endpoint, region, key="testing", secret="testing"):
            c = boto3.client(service, endpoint_url=endpoint, region_name=region,
                             aws_access_key_id=key, aws_secret_access_key=secret)
            # moto checks body-less requests only when x-amz-content-sha256 is signed (moto compares against botocore, which signs that header).
            def add_hash(request, **kwargs):
                if not request.body:
                    request.headers["X-Amz-Content-SHA256"] = EMPTY
            c.meta.events.register("before-sign.lambda.*", add_hash)
            return c

        def setup(endpoint, regions, buckets, functions):
            iam = client("iam", endpoint, "us-east-1")
            iam.create_user(UserName="picolayer-test")
            iam.put_user_policy(UserName="picolayer-test", PolicyName="allow", PolicyDocument=json.dumps(
                {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ALLOWED, "Resource": "*"}]}))
            key = iam.create_access_key(UserName="picolayer-test")["AccessKey"]
            iam.create_role(RoleName="picolayer-deployer", AssumeRolePolicyDocument=json.dumps(
                {"Version": "2012-10-17", "Statement": [
                    {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"},
                    {"Effect": "Allow", "Principal": {"Federated": "token.actions.githubusercontent.com"},
                     "Action": "sts:AssumeRoleWithWebIdentity"}]}))
            iam.put_role_policy(RoleName="picolayer-deployer", PolicyName="allow", PolicyDocument=json.dumps(
                {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ALLOWED, "Resource": "*"}]}))
            role = iam.create_role(RoleName="picolayer-fn", AssumeRolePolicyDocument=json.dumps(
                {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]
            code = io.BytesIO()
            with zipfile.ZipFile(code, "w") as z:
                z.writestr("bootstrap", "#!/bin/sh\n")
            for region in [r for r in regions.split(",") if r]:
                s3 = client("s3", endpoint, region)
                for bucket in [b.replace("{region}", region) for b in buckets.split(",") if b]:
                    if region == "us-east-1":
                        s3.create_bucket(Bucket=bucket)
                    else:
                        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
                lam = client("lambda", endpoint, region)
                for fn in [f for f in functions.split(",") if f]:
                    other = lam.publish_layer_version(LayerName="other-layer", Content={"ZipFile": code.getvalue()},
                                                      CompatibleRuntimes=["provided.al2023"])["LayerVersionArn"]
                    lam.create_function(FunctionName=fn, Runtime="provided.al2023", Role=role, Handler="x",
                                        Code={"ZipFile": code.getvalue()}, Layers=[other])
            req = urllib.request.Request(endpoint + "/moto-api/reset-auth", data=b"0", method="POST",
                                         headers={"Content-Type": "text/plain"})
            urllib.request.urlopen(req).read()
            print(json.dumps({"AccessKeyId": key["AccessKeyId"], "SecretAccessKey": key["SecretAccessKey"]}))

        def state(endpoint, key, secret, region, layer, functions, bucket):
            lam = client("lambda", endpoint, region, key, secret)
            versions = lam.list_layer_versions(LayerName=layer)["LayerVersions"]
            out = {"versions": [], "policy": None, "functionLayers": {}, "objects": []}
            for v in versions:
                got = lam.get_layer_version(LayerName=layer, VersionNumber=v["Version"])
                out["versions"].append({"Version": got["Version"], "CodeSha256": got["Content"]["CodeSha256"]})
            if versions:
                try:
                    out["policy"] = lam.get_layer_version_policy(LayerName=layer, VersionNumber=versions[0]["Version"])["Policy"]
                except lam.exceptions.ResourceNotFoundException:
                    pass
            for fn in [f for f in functions.split(",") if f]:
                conf = lam.get_function_configuration(FunctionName=fn)
                out["functionLayers"][fn] = [l["Arn"] for l in conf.get("Layers", [])]
            if bucket:
                s3 = client("s3", endpoint, region, key, secret)
                out["objects"] = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
            print(json.dumps(out))

        def reset_auth(endpoint, count):
            req = urllib.request.Request(endpoint + "/moto-api/reset-auth", data=count.encode(), method="POST",
                                         headers={"Content-Type": "text/plain"})
            print(urllib.request.urlopen(req).read().decode())

        if sys.argv[1] == "setup":
            setup(*sys.argv[2:6])
        elif sys.argv[1] == "reset-auth":
            reset_auth(*sys.argv[2:4])
        else:
            state(*sys.argv[2:9])
        """#
}
