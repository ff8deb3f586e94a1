"""What the API function (every HTTP route, one Lambda function) touches.

Not a family: Chalice builds the API function from the routes, not from a
``LambdaFunction``. infra/ generates its role from ``API_USES`` exactly as it does
for the declared functions; the enforcement test (tests/iam/) fails when a route
touches something missing here.
"""

from __future__ import annotations

from chalicelib.functions import Uses

# fmt: off

API_FUNCTION = "api_handler"

API_USES = Uses(
    tables=(
        # projects, orgs and what hangs off them
        "projects", "project-counters", "project-donors", "orgs", "org-credit-codes", "feedback",
        "campaigns", "campaign-projects", "complaints", "audit", "search-index",
        # giving and payments
        "donations", "payment-transactions", "payment-anomalies", "refunds", "idempotency",
        # receipts self-service and reissuing, imports
        "receipts", "receipt-counters", "receipt-lookup-buckets", "imports", "import-lanes", "import-row-errors",
        # compliance actions (offline writes a notification) and jobs run by hand (POST /compliance/jobs/...)
        "notifications", "notification-keys", "job-runs",
        # payments: reconciliation results
        "payment-reconciliations",
        # fund flow and the ledger (proofs, heads, publishing a head by hand)
        "payees", "disbursements", "fund-uses", "fund-nodes", "fund-credits", "follows",
        "ledger-entries", "ledger-events", "ledger-heads", "ledger-nodes", "ledger-state",
        # matching, teams, enterprises
        "match-pools", "match-budget", "match-caps", "match-targets", "match-totals", "matches",
        "teams", "team-members", "team-counters", "team-credits", "team-boards", "enterprises", "enterprise-members",
    ),
    buckets=("documents_bucket", "imports_bucket", "receipts_bucket", "reports_bucket", "ledger_bucket:ledger/"),
    queues_send=("imports", "refunds"),
    secrets=("wechat_secret_name", "alipay_secret_name", "phone_hash_key_name", "sandbox_pay_secret_name",
             "ledger_signing_key_name"),
)
