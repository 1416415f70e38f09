/// What `picolayer new` writes: a handler for each template, sample events of the shapes AWS documents, the
/// project file, the ignore file, a README and the GitHub Actions workflow.
public enum ProjectTemplate: String, CaseIterable, Sendable {
    case hello, http, sqs

    /// The event `picolayer invoke` is shown with in the README.
    var sampleEvent: String {
        switch self {
        case .hello: return "events/hello.json"
        case .http: return "events/function-url.json"
        case .sqs: return "events/sqs.json"
        }
    }

    /// `picolayer test` cases: (file name in tests/, content).
    var testCases: [(String, String)] {
        switch self {
        case .hello:
            return [
                ("hello.event.json", #"{"name":"PicoLisp"}"# + "\n"),
                ("hello.expected.json", #"{"message":"Hello, PicoLisp!"}"# + "\n"),
                ("world.event.json", "{}\n"), ("world.expected.json", #"{"message":"Hello, world!"}"# + "\n"),
            ]
        case .http:
            return [
                ("get.event.json", SampleEvents.functionURL),
                (
                    "get.expected.json",
                    #"{"statusCode":200,"headers":{"content-type":"application/json"},"body":"{\"method\":\"GET\",\"path\":\"/hello\",\"hello\":\"PicoLisp\"}"}"#
                        + "\n"
                ),
            ]
        case .sqs:
            return [
                ("batch.event.json", SampleEvents.sqs), ("batch.expected.json", #"{"batchItemFailures":[]}"# + "\n"),
            ]
        }
    }

    var handler: String {
        switch self {
        case .hello:
            return """
                # A PicoLisp function on AWS Lambda. Event_Data is the event decoded from JSON (an object is an alist
                # with string keys, an array a list headed by T); what the handler returns is encoded back to JSON.
                # Headers holds the Runtime API's headers; *AwsRequestId, *DeadlineMs and (remainingMs) are set too.

                (de handler (Event_Data Headers)
                   (let Name (or (cdr (assoc "name" Event_Data)) "world")
                      (list (cons "message" (pack "Hello, " Name "!"))) ) )

                """
        case .http:
            return """
                # An HTTP function: a Lambda function URL (or API Gateway's HTTP API) sends the request as a
                # payload format 2.0 event and takes statusCode, headers and body back.

                (de handler (Event_Data Headers)
                   (let
                      (Http (cdr (assoc "http" (cdr (assoc "requestContext" Event_Data))))
                         Query (cdr (assoc "queryStringParameters" Event_Data)) )
                      (list
                         (cons "statusCode" 200)
                         (cons "headers" (list (cons "content-type" "application/json")))
                         (cons "body"
                            (jsonPack
                               (list
                                  (cons "method" (or (cdr (assoc "method" Http)) "GET"))
                                  (cons "path" (or (cdr (assoc "path" Http)) "/"))
                                  (cons "hello" (or (cdr (assoc "name" Query)) "world")) ) ) ) ) ) )

                """
        case .sqs:
            return """
                # An SQS consumer: each message of the batch is handled; the ids of those that failed go back in
                # batchItemFailures, so that only they are retried (turn on ReportBatchItemFailures on the
                # event source mapping).

                (de handleMessage (Body)
                   (out 2 (prinl "message: " Body))    # stderr: the function's log
                   T )

                (de handler (Event_Data Headers)
                   (let Failed NIL
                      (for Record (cdr (cdr (assoc "Records" Event_Data)))
                         (let Ok NIL
                            # An error in one message fails that message only.
                            (catch '(NIL) (setq Ok (handleMessage (cdr (assoc "body" Record)))))
                            (unless Ok
                               (push 'Failed (list (cons "itemIdentifier" (cdr (assoc "messageId" Record))))) ) ) )
                      (list (cons "batchItemFailures" (cons T (flip Failed)))) ) )

                """
        }
    }

    func projectFile(name: String, role: String?) -> String {
        let roleLine =
            role.map { "role = \"\($0)\"" }
            ?? "# role = \"arn:aws:iam::123456789012:role/\(name)\"   # needed to create the function"
        return """
            # picolayer's settings for this project; `picolayer config` shows what is in force and where it
            # comes from. A command's flag wins over its environment variable, which wins over this file.

            [layer]
            name = "picolisp"              # the PicoLisp runtime layer the function runs on
            # regions = ["eu-west-1"]      # where `picolayer publish` publishes it (default: the region chain)

            [function]
            name = "\(name)"
            handler = "main.handler"       # main.l, function handler
            memory = 128
            timeout = 10
            published_layer = true         # deploy attaches the newest published version of layer.name
            create = true                  # deploy creates the function when it does not exist
            \(roleLine)

            [function.environment]
            # GREETING = "hello"

            """
    }

    static let ignoreFile = """
        # What never goes into the function's zip, in gitignore syntax. picolayer already leaves out .git/, .env*,
        # editor backups, .DS_Store, picolayer.toml and this file; `picolayer deploy --dry-run` lists what ships.
        build/
        *.zip
        events/
        tests/
        README.md
        .github/

        """

    func readme(name: String) -> String {
        """
        # \(name)

        A PicoLisp function for AWS Lambda, made with `picolayer new --template \(rawValue)`.

        ```sh
        picolayer invoke --event \(sampleEvent)    # run the handler locally, as Lambda would
        picolayer test                                    # the cases of tests/, on one warm runtime
        picolayer build                                   # the PicoLisp layer Lambda runs, into build/layer
        picolayer package build/layer -o picolisp.zip && picolayer publish picolisp.zip
        picolayer deploy                                  # create or update the function from picolayer.toml
        ```

        `main.l` holds the handler, `events/` sample events of the shapes AWS sends, `tests/` the cases
        `picolayer test` checks (an event and the answer expected; `--update` records new ones), `picolayer.toml` the
        settings (`picolayer config` prints them), `.picolayerignore` what stays out of the function's zip, and
        `.github/workflows/deploy.yml` builds, publishes and deploys from GitHub Actions with an OIDC role (set
        the repository variable `AWS_DEPLOY_ROLE_ARN`).

        """
    }

    func workflow(name: String) -> String {
        """
        # Build the PicoLisp layer, then on a push to main publish it and deploy \(name), with GitHub's OIDC token
        # for an IAM role (no long-lived keys; set the repository variable AWS_DEPLOY_ROLE_ARN). Pin picolayer's
        # action to the commit of its release tag: `git ls-remote https://github.com/picolayer/picolayer
        # refs/tags/v0.1.0` prints it; replace the zeros below with it.
        name: Deploy
        on:
          push:
            branches: [main]
          pull_request:
        permissions:
          contents: read
        concurrency:
          group: deploy-${{ github.ref }}
          cancel-in-progress: false
        jobs:
          deploy:
            runs-on: ubuntu-24.04
            timeout-minutes: 30
            permissions:
              contents: read
              id-token: write # GitHub's OIDC token, exchanged by picolayer for the role
            steps:
              - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
                with:
                  persist-credentials: false
              - name: Cache the built layer
                id: cache
                uses: actions/cache@27d5ce7f107fe9357f9df03efb73ab90386fccae # v5.0.5
                with:
                  path: build/layer-x86_64
                  key: picolisp-layer-x86_64-${{ hashFiles('picolayer.lock') }}
              - name: Build and package the layer
                uses: picolayer/picolayer@0000000000000000000000000000000000000000 # v0.1.0
                with:
                  build: ${{ steps.cache.outputs.cache-hit != 'true' }}
                  build-args: --locked
                  package: true
              - name: Publish the layer and deploy the function
                if: github.event_name == 'push' && github.ref == 'refs/heads/main'
                uses: picolayer/picolayer@0000000000000000000000000000000000000000 # v0.1.0
                with:
                  zip: picolisp-x86_64.zip
                  publish: true
                  layer-name: picolisp
                  regions: eu-west-1
                  role: ${{ vars.AWS_DEPLOY_ROLE_ARN }}
                  function: \(name)
                  code: .
                  handler: main.handler

        """
    }
}
