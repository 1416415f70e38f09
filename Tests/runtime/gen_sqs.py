#!/usr/bin/env python3
"""Writes an SQS-like Lambda event: {"Records": [...]} with N records (default 1,800, about 1 MB).

Deterministic (no clock, no randomness), so every run measures the same bytes.
Usage: gen_sqs.py OUT.json [N]
"""
import hashlib
import json
import sys


def record(i):
    body = json.dumps({"orderId": i, "customer": f"customer-{i % 97}", "note": "caf\u00e9 \u2615 \"quoted\"\n",
                       "items": [{"sku": f"SKU-{i * 7 % 1000}", "qty": i % 5 + 1}]})
    digest = hashlib.sha256(str(i).encode()).hexdigest()
    return {
        "messageId": f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}",
        "receiptHandle": "AQEB" + digest + digest[:12],
        "body": body,
        "attributes": {
            "ApproximateReceiveCount": "1",
            "SentTimestamp": str(1700000000000 + i),
            "SenderId": "AIDAIENQZJOLO23YVJ4VO",
            "ApproximateFirstReceiveTimestamp": str(1700000000500 + i),
        },
        "messageAttributes": {},
        "md5OfBody": hashlib.md5(body.encode()).hexdigest(),
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-2:123456789012:my-queue",
        "awsRegion": "us-east-2",
    }


def main():
    out = sys.argv[1]
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 1800
    with open(out, "w", encoding="utf-8") as f:
        json.dump({"Records": [record(i) for i in range(count)]}, f, ensure_ascii=False, separators=(",", ":"))


if __name__ == "__main__":
    main()
