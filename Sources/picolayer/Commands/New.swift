import ArgumentParser
import FoundationEssentials
import PicolayerKit

extension ProjectTemplate: ExpressibleByArgument {}

extension Picolayer {
    /// `picolayer new NAME`: a function project that runs and deploys as generated.
    struct New: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Start a function project: handler, sample events, picolayer.toml, ignore rules, CI workflow.",
            discussion: """
                Writes NAME/ with main.l (the handler), events/ (a function URL request, SQS, S3 and EventBridge \
                events in the shapes AWS sends), picolayer.toml, .picolayerignore, README.md and \
                .github/workflows/deploy.yml. An existing NAME is never written into. See docs/new.md.
                """)

        @Argument(help: "The function's name, and the folder made for it (letters, digits, - and _).")
        var name: String

        @Option(help: "hello (JSON in, JSON out), http (a function URL or HTTP API request) or sqs (a batch).")
        var template: ProjectTemplate = .hello

        @Option(help: ArgumentHelp("The execution role ARN, written as function.role.", valueName: "arn"))
        var role: String?

        @Option(help: "The folder to make the project in.")
        var directory: String = "."

        @Flag(help: "Print the result as one JSON object: path, template, files (docs/json.md).")
        var json = false

        func validate() throws {
            if !NewProject.isValidName(name) {
                throw ValidationError(ErrorText.describe(NewProjectError.invalidName(name)))
            }
        }

        func run() async throws {
            TemporaryPaths.shared.removeOnSignals()
            let project = try NewProject(name: name, template: template, role: role)
            let written = try project.write(into: directory)
            let path = directory == "." ? name : written
            if json {
                let document: JSONValue = [
                    "path": .string(path), "template": .string(template.rawValue),
                    "files": JSONValue(project.files.map(\.path).sorted()),
                ]
                printResult(try JSONOutput.encode(document))
                return
            }
            printResult("created \(path) (\(template.rawValue)): cd \(path) && picolayer build && picolayer invoke")
        }
    }
}
