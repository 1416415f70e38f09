import FoundationEssentials

/// S3 uploads: `PutObject`, or a multipart upload for large files. Bodies stream from disk; each payload hash
/// is computed by a first pass over the same bytes (S3 requires `x-amz-content-sha256`).
public struct S3Client: Sendable {
    public var client: AWSClient
    /// Files at least this large go up in parts.
    public var multipartThreshold: Int64
    public var partSize: Int64

    /// S3's minimum part size (except the last part).
    public static let minimumPartSize: Int64 = 5 * 1024 * 1024

    public init(client: AWSClient, multipartThreshold: Int64 = 64 * 1024 * 1024, partSize: Int64 = 16 * 1024 * 1024) {
        self.client = client
        self.multipartThreshold = multipartThreshold
        self.partSize = max(partSize, Self.minimumPartSize)
    }

    /// Path-style (`/bucket/key`) when the endpoint was overridden or the bucket has dots; else virtual-hosted.
    func addressed(bucket: String, key: String) -> (client: AWSClient, path: String) {
        let encodedKey = "/" + SigV4Signer.uriEncode(key, keepSlash: true)
        if client.endpoint.isOverride || bucket.contains(".") {
            return (client, "/" + SigV4Signer.uriEncode(bucket, keepSlash: false) + encodedKey)
        }
        var virtual = client
        virtual.endpoint.host = "\(bucket).\(client.endpoint.host)"
        return (virtual, encodedKey)
    }

    /// Uploads the file at `path` (of `size` bytes) to `s3://bucket/key`, telling `progress` of the file's bytes
    /// sent (over all parts of a multipart upload).
    public func upload(
        path: String, size: Int64, bucket: String, key: String, progress: RequestBody.Progress? = nil
    ) async throws {
        if size >= multipartThreshold {
            try await multipartUpload(path: path, size: size, bucket: bucket, key: key, progress: progress)
        } else {
            let (target, objectPath) = addressed(bucket: bucket, key: key)
            let body = RequestBody(
                parts: [.file(path: path, offset: 0, length: size, base64: false)], progress: progress)
            _ = try await target.send(
                AWSRequest(
                    operation: "PutObject", method: "PUT", path: objectPath,
                    headers: [(name: "Content-Type", value: "application/zip")], body: body))
        }
    }

    func multipartUpload(
        path: String, size: Int64, bucket: String, key: String, progress: RequestBody.Progress?
    ) async throws {
        let (target, objectPath) = addressed(bucket: bucket, key: key)
        let created = try await target.send(
            AWSRequest(
                operation: "CreateMultipartUpload", method: "POST", path: objectPath, query: [.init("uploads", nil)],
                headers: [(name: "Content-Type", value: "application/zip")]))
        guard let uploadId = AWSErrorParser.xmlElement("UploadId", in: String(decoding: created.body, as: UTF8.self))
        else {
            throw AWSError.invalidResponse(operation: "CreateMultipartUpload", reason: "no UploadId in the answer")
        }
        do {
            var etags: [String] = []
            var offset: Int64 = 0
            var number = 1
            while offset < size {
                let length = min(partSize, size - offset)
                let body = RequestBody(
                    parts: [.file(path: path, offset: offset, length: length, base64: false)],
                    progress: Self.partProgress(progress, offset: offset, size: size))
                let response = try await target.send(
                    AWSRequest(
                        operation: "UploadPart", method: "PUT", path: objectPath,
                        query: [.init("partNumber", String(number)), .init("uploadId", uploadId)], body: body))
                guard let etag = response.header("ETag") else {
                    throw AWSError.invalidResponse(operation: "UploadPart", reason: "no ETag for part \(number)")
                }
                etags.append(etag)
                offset += length
                number += 1
            }
            let parts = etags.enumerated().map { index, etag in
                "<Part><PartNumber>\(index + 1)</PartNumber><ETag>\(Self.xmlEscape(etag))</ETag></Part>"
            }.joined()
            let xml =
                "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\(parts)</CompleteMultipartUpload>"
            let completed = try await target.send(
                AWSRequest(
                    operation: "CompleteMultipartUpload", method: "POST", path: objectPath,
                    query: [.init("uploadId", uploadId)], headers: [(name: "Content-Type", value: "application/xml")],
                    body: .bytes(Array(xml.utf8))))
            // S3 may answer 200 with an <Error> body when completion fails late.
            let text = String(decoding: completed.body, as: UTF8.self)
            if text.contains("<Error>") {
                let (code, message) = AWSErrorParser.parse(status: 200, headers: [], body: completed.body)
                throw AWSError.service(
                    operation: "CompleteMultipartUpload", status: 200, code: code, message: message, requestId: nil)
            }
        } catch {
            _ = try? await target.send(
                AWSRequest(
                    operation: "AbortMultipartUpload", method: "DELETE", path: objectPath,
                    query: [.init("uploadId", uploadId)]))
            throw error
        }
    }

    /// A part's progress as the whole file's: the bytes of the parts before it added.
    static func partProgress(_ progress: RequestBody.Progress?, offset: Int64, size: Int64) -> RequestBody.Progress? {
        guard let progress else { return nil }
        return { sent, _ in progress(offset + sent, size) }
    }

    static func xmlEscape(_ text: String) -> String {
        text.replacing("&", with: "&amp;").replacing("<", with: "&lt;")
            .replacing(">", with: "&gt;").replacing("\"", with: "&quot;")
    }
}
