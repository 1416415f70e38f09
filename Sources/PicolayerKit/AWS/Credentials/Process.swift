import FoundationEssentials
import Logging

extension CredentialProvider {
    /// `credential_process` in the profile: a command whose stdout is a JSON credential document (Version 1).
    public static let process = CredentialProvider(name: "credential_process") { lookup in
        try await ProcessCredentials.search(lookup)
    }
}

/// `credential_process` (botocore's `ProcessProvider`): the command is split like a shell would, but run
/// directly with the lookup's environment, never through a shell.
public enum ProcessCredentials {
    /// A command that has not answered by then is killed.
    public static let defaultTimeout: Duration = .seconds(60)

    public static func search(_ lookup: CredentialLookup) async throws -> (AWSCredentials?, String) {
        let context = lookup.context
        let label = "profile \(context.profileName) in \(context.configFilePath)"
        // Either file may hold it: botocore merges the credentials file's [NAME] into the profile.
        guard let command = try context.profileSettings(context.profileName)?["credential_process"], !command.isEmpty
        else {
            return (nil, "\(label) has no credential_process")
        }
        return (try await credentials(command: command, label: label, lookup: lookup), "")
    }

    /// Runs `command` and reads its answer. `label` names where the command was configured, for messages.
    /// The kill deadline runs on the real clock: it guards against a hung child, it is not part of the logic
    /// that tests drive through `lookup.timing`.
    public static func credentials(
        command: String, label: String, lookup: CredentialLookup, timeout: Duration? = nil
    ) async throws -> AWSCredentials {
        let timeout = timeout ?? lookup.processTimeout
        let source = "credential_process of \(label)"
        let arguments: [String]
        do {
            arguments = try split(command)
        } catch let error as SplitError {
            throw AWSError.invalidCredentials(source: source, reason: "the command \(error.reason); fix its quoting")
        }
        guard let program = arguments.first else {
            throw AWSError.invalidCredentials(source: source, reason: "the command is empty")
        }
        let runner = ProcessRunner(environment: lookup.context.environment)
        lookup.logger.debug("credential_process: running \(program)")
        let result: ProcessResult
        do {
            result = try await withThrowingTaskGroup(of: ProcessResult?.self) { group in
                group.addTask {
                    try await runner.run(program, Array(arguments.dropFirst()), killsProcessGroup: true)
                }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    return nil
                }
                let first = try await group.next() ?? nil
                group.cancelAll()
                guard let first else { throw TimedOut() }
                return first
            }
        } catch is TimedOut {
            throw AWSError.credentialSourceFailed(
                source: source,
                reason: "\(program) did not finish within \(timeout) and was killed with its child processes",
                remedy: "Run it yourself to see what it waits for (a browser login, a prompt on a terminal), "
                    + "or give it more time with --credential-process-timeout.")
        } catch let error as ProcessRunnerError {
            throw AWSError.credentialSourceFailed(
                source: source, reason: error.errorDescription ?? "\(error)",
                remedy: "Fix credential_process in \(label).")
        }
        guard result.succeeded else {
            let stderr = result.standardErrorText.trimmingWhitespaceAndNewlines()
            throw AWSError.credentialSourceFailed(
                source: source,
                reason: "\(program) exited with status \(result.exitStatus)"
                    + (stderr.isEmpty ? " and no message" : ": \(String(stderr.prefix(1000)))"),
                remedy: "Run it yourself to see what it needs.")
        }
        let document = try CredentialDocument.decode(result.standardOutput, tokenKey: "SessionToken", source: source)
        guard let version = document.object["Version"]?.int, version == 1 else {
            throw AWSError.invalidCredentials(
                source: source, reason: "its output must have \"Version\": 1 (the only version AWS defines)")
        }
        return document.credentials(source: source)
    }

    struct TimedOut: Error {}

    struct SplitError: Error {
        var reason: String
    }

    /// Splits a command line as a POSIX shell would (words, '…' literal, "…" with \" \\ \$ \` escapes, \ outside
    /// quotes), without expansions: what Python's `shlex.split`, used by botocore, does.
    static func split(_ command: String) throws -> [String] {
        var words: [String] = []
        var word = ""
        var inWord = false
        var iterator = command.makeIterator()
        while let character = iterator.next() {
            switch character {
            case " ", "\t", "\n", "\r", "\r\n":
                if inWord { words.append(word) }
                word = ""
                inWord = false
            case "'":
                inWord = true
                var closed = false
                while let next = iterator.next() {
                    if next == "'" {
                        closed = true
                        break
                    }
                    word.append(next)
                }
                if !closed { throw SplitError(reason: "has an unclosed single quote") }
            case "\"":
                inWord = true
                var closed = false
                while let next = iterator.next() {
                    if next == "\"" {
                        closed = true
                        break
                    }
                    if next == "\\" {
                        guard let escaped = iterator.next() else { break }
                        if escaped == "\n" { continue }
                        if !"\"\\$`".contains(escaped) { word.append("\\") }
                        word.append(escaped)
                        continue
                    }
                    word.append(next)
                }
                if !closed { throw SplitError(reason: "has an unclosed double quote") }
            case "\\":
                inWord = true
                guard let escaped = iterator.next() else { throw SplitError(reason: "ends with a lone backslash") }
                if escaped != "\n" { word.append(escaped) }
            default:
                inWord = true
                word.append(character)
            }
        }
        if inWord { words.append(word) }
        return words
    }
}
