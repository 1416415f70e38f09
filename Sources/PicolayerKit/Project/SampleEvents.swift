/// Sample events in the shapes AWS documents for each source (Lambda developer guide: "Invoking Lambda with
/// events from other AWS services", the function URL payload format 2.0, and the SQS, S3 and EventBridge
/// pages), with example accounts, ids and times.
enum SampleEvents {
    static let all: [(name: String, json: String)] = [
        ("events/hello.json", #"{"name":"PicoLisp"}"# + "\n"),
        ("events/function-url.json", functionURL),
        ("events/sqs.json", sqs),
        ("events/s3.json", s3),
        ("events/eventbridge.json", eventBridge),
    ]

    static let functionURL = """
        {
          "version": "2.0",
          "routeKey": "$default",
          "rawPath": "/hello",
          "rawQueryString": "name=PicoLisp",
          "headers": {
            "accept": "application/json",
            "host": "abcdefghijklmnopqrstuvwxyz012345.lambda-url.eu-west-1.on.aws",
            "user-agent": "curl/8.5.0",
            "x-forwarded-for": "203.0.113.7",
            "x-forwarded-proto": "https"
          },
          "queryStringParameters": {
            "name": "PicoLisp"
          },
          "requestContext": {
            "accountId": "anonymous",
            "apiId": "abcdefghijklmnopqrstuvwxyz012345",
            "domainName": "abcdefghijklmnopqrstuvwxyz012345.lambda-url.eu-west-1.on.aws",
            "domainPrefix": "abcdefghijklmnopqrstuvwxyz012345",
            "http": {
              "method": "GET",
              "path": "/hello",
              "protocol": "HTTP/1.1",
              "sourceIp": "203.0.113.7",
              "userAgent": "curl/8.5.0"
            },
            "requestId": "c4f8a1d2-5b6e-4f7a-9c0d-1e2f3a4b5c6d",
            "routeKey": "$default",
            "stage": "$default",
            "time": "03/Dec/2026:09:00:00 +0000",
            "timeEpoch": 1796288400000
          },
          "isBase64Encoded": false
        }

        """

    static let sqs = """
        {
          "Records": [
            {
              "messageId": "059f36b4-87a3-44ab-83d2-661975830a7d",
              "receiptHandle": "AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a...",
              "body": "hello from SQS",
              "attributes": {
                "ApproximateReceiveCount": "1",
                "SentTimestamp": "1796288400000",
                "SenderId": "AIDAIENQZJOLO23YVJ4VO",
                "ApproximateFirstReceiveTimestamp": "1796288400001"
              },
              "messageAttributes": {},
              "md5OfBody": "e4e68fb7bd0e697a0ae8f1bb342846b3",
              "eventSource": "aws:sqs",
              "eventSourceARN": "arn:aws:sqs:eu-west-1:123456789012:my-queue",
              "awsRegion": "eu-west-1"
            }
          ]
        }

        """

    static let s3 = """
        {
          "Records": [
            {
              "eventVersion": "2.1",
              "eventSource": "aws:s3",
              "awsRegion": "eu-west-1",
              "eventTime": "2026-12-03T09:00:00.000Z",
              "eventName": "ObjectCreated:Put",
              "userIdentity": {
                "principalId": "AWS:AIDAINPONIXQXHT3IKHL2"
              },
              "requestParameters": {
                "sourceIPAddress": "203.0.113.7"
              },
              "responseElements": {
                "x-amz-request-id": "D82B88E5F771F645",
                "x-amz-id-2": "vlR7PnpV2Ce81l0PRw6jlUpck7Jo5ZsQjryTjKlc5aLWGVHPZLj5NeC6qMa0emYBDXOo6QBU0Wo="
              },
              "s3": {
                "s3SchemaVersion": "1.0",
                "configurationId": "on-upload",
                "bucket": {
                  "name": "my-bucket",
                  "ownerIdentity": {
                    "principalId": "A3I5XTEXAMAI3E"
                  },
                  "arn": "arn:aws:s3:::my-bucket"
                },
                "object": {
                  "key": "uploads/hello.txt",
                  "size": 1305107,
                  "eTag": "b21b84d653bb07b05b1e6b33684dc11b",
                  "sequencer": "0C0F6F405D6ED209E1"
                }
              }
            }
          ]
        }

        """

    static let eventBridge = """
        {
          "version": "0",
          "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
          "detail-type": "Scheduled Event",
          "source": "aws.events",
          "account": "123456789012",
          "time": "2026-12-03T09:00:00Z",
          "region": "eu-west-1",
          "resources": [
            "arn:aws:events:eu-west-1:123456789012:rule/every-hour"
          ],
          "detail": {}
        }

        """
}
