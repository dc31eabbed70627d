"""The API's seven functions: the handler each runs, what starts it, and what each may touch.

Route functions answer the HTTP API; the others run in the background, started by a schedule or by an upload.
"""

from __future__ import annotations

# An HTTP API integration gives up after 30 s at most (`timeout_milliseconds` 50..30000, not raisable).
INTEGRATION_TIMEOUT_MS = 30_000
# A route's function must stop before the API does, so the caller gets the function's answer, not a 503.
MAX_ROUTE_TIMEOUT_S = INTEGRATION_TIMEOUT_MS // 1000 - 1

ROUTES: dict[str, str] = {
    "listOrders": "GET /orders",
    "getOrder": "GET /orders/{id}",
    "createOrder": "POST /orders",
    "approveOrder": "POST /orders/{id}/approve",
}
HANDLERS: dict[str, str] = {
    "listOrders": "orders_api.handlers.list_orders",
    "getOrder": "orders_api.handlers.get_order",
    "createOrder": "orders_api.handlers.create_order",
    "approveOrder": "orders_api.handlers.approve_order",
    "processOrders": "orders_api.handlers.process_orders",
    "onUpload": "orders_api.handlers.on_upload",
    "remindPending": "orders_api.handlers.remind_pending",
}
# Functions started by EventBridge, and their schedule when config gives none.
SCHEDULED: dict[str, str] = {"processOrders": "rate(15 minutes)", "remindPending": "rate(1 day)"}
UPLOAD_FUNCTION = "onUpload"
# Functions that hand unfinished work to a new invocation of themselves (a large import resumes from a checkpoint).
CONTINUING_FUNCTIONS = (UPLOAD_FUNCTION,)
# Invoked asynchronously (S3, EventBridge): failures after Lambda's retries go to the failed-events queue.
ASYNC_FUNCTIONS = (*SCHEDULED, UPLOAD_FUNCTION)

# Where processOrders writes the purchase-order documents in the documents bucket.
DOCUMENT_PREFIX = "purchase-orders/"

# What each function may do, and on what: the table, its status index, a bucket's objects.
ACCESS: dict[str, list[tuple[tuple[str, ...], str]]] = {
    "listOrders": [(("dynamodb:Query",), "index")],
    "getOrder": [(("dynamodb:GetItem",), "table")],
    "createOrder": [(("dynamodb:PutItem",), "table")],
    "approveOrder": [(("dynamodb:UpdateItem", "dynamodb:GetItem"), "table")],
    "processOrders": [
        (("dynamodb:Query",), "index"),
        (("dynamodb:UpdateItem",), "table"),
        (("s3:PutObject",), "documents"),
    ],
    # The import writes rows in batches, checks a half-written batch before writing it again, and keeps a
    # checkpoint item per file version; it reads the exact object version its event names.
    "onUpload": [
        (("dynamodb:BatchWriteItem", "dynamodb:BatchGetItem", "dynamodb:UpdateItem", "dynamodb:GetItem"), "table"),
        (("s3:GetObject", "s3:GetObjectVersion"), "uploads"),
    ],
    # Reminders go to the approvers' SNS topic (APPROVERS_TOPIC_ARN), when the stack gives one.
    "remindPending": [
        (("dynamodb:Query",), "index"),
        (("dynamodb:UpdateItem",), "table"),
        (("sns:Publish",), "approvers"),
    ],
}
