"""The public fund-flow tree of a project, and a charity's nodes across projects.

Three queries per project (nodes, disbursements, uses: each one partition of a
small per-project table), assembled here; public output names charities and
payees (hospitals, village funds) but never a bank account in full, and shows each
voucher's public part (``vouchers.public_documents``), never a private file.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from chalicelib.auth import Principal
from chalicelib.config import Settings
from chalicelib.dal import fundflow as store
from chalicelib.dal import orgs as org_store
from chalicelib.dal import projects as project_store
from chalicelib.dal.fundflow import DisbursementModel, FundNodeModel, FundUseModel
from chalicelib.logic.fundflow.vouchers import PublicDocument, public_documents
from chalicelib.logic.visibility import require_visible

PUBLIC_STATUSES = ("approved", "confirmed")


@dataclass
class Balances:
    raised_fen: int = 0
    refunded_fen: int = 0
    received_fen: int = 0
    disbursed_fen: int = 0
    used_fen: int = 0
    balance_fen: int = 0

    @classmethod
    def of(cls, node: FundNodeModel | None) -> Balances:
        if node is None:
            return cls()
        return cls(
            raised_fen=int(node.raised_fen or 0),
            refunded_fen=int(node.refunded_fen or 0),
            received_fen=int(node.received_fen or 0),
            disbursed_fen=int(node.disbursed_fen or 0),
            used_fen=int(node.used_fen or 0),
            balance_fen=int(node.balance_fen or 0),
        )


@dataclass
class UseEntry:
    use_id: str
    amount_fen: int
    category: str
    spent_on: str
    description: str | None
    vouchers: int
    feedback_id: str | None
    documents: list[PublicDocument] = field(default_factory=list)


@dataclass
class FlowEdge:
    disbursement_id: str
    to_kind: str
    to_id: str
    to_name: str
    to_account_masked: str | None
    amount_fen: int
    purpose: str
    status: str  # approved (sent, receipt not yet confirmed) | confirmed
    vouchers: int
    receipts: int
    approved_at: str | None
    confirmed_at: str | None
    documents: list[PublicDocument] = field(default_factory=list)
    node: FlowNode | None = None


@dataclass
class FlowNode:
    org_id: str
    org_name: str
    balances: Balances
    in_transit_fen: int = 0  # approved, receipt not confirmed yet
    sent: list[FlowEdge] = field(default_factory=list)
    uses: list[UseEntry] = field(default_factory=list)


@dataclass
class ProjectFlow:
    project_id: str
    title: str
    category: str
    root: FlowNode


def _use_entry(settings: Settings, use: FundUseModel) -> UseEntry:
    return UseEntry(
        use_id=use.use_id,
        amount_fen=int(use.amount_fen),
        category=use.category,
        spent_on=use.spent_on,
        description=use.description,
        vouchers=len(use.voucher_keys or []),
        feedback_id=use.feedback_id,
        documents=public_documents(settings, use.documents),
    )


def _edge(settings: Settings, d: DisbursementModel) -> FlowEdge:
    return FlowEdge(
        disbursement_id=d.disbursement_id,
        to_kind=d.to_kind,
        to_id=d.to_id,
        to_name=d.to_name,
        to_account_masked=d.to_account_masked,
        amount_fen=int(d.amount_fen),
        purpose=d.purpose,
        status=d.status,
        vouchers=len(d.voucher_keys or []),
        receipts=len(d.receipt_keys or []),
        approved_at=d.decided_at,
        confirmed_at=d.confirmed_at,
        documents=public_documents(settings, d.documents),
    )


def project_flow(settings: Settings, project_id: str, principal: Principal | None) -> ProjectFlow:
    project = require_visible(project_store.get_project(project_id), principal)
    nodes = {n.org_id: n for n in store.nodes_of_project(project_id)}
    sent: dict[str, list[DisbursementModel]] = {}
    for d in sorted(store.disbursements_of_project(project_id), key=lambda d: d.created_at):
        if d.status in PUBLIC_STATUSES:
            sent.setdefault(d.from_org_id, []).append(d)
    uses: dict[str, list[FundUseModel]] = {}
    for use in sorted(store.uses_of_project(project_id), key=lambda u: u.created_at):
        uses.setdefault(use.org_id, []).append(use)
    names = {project.org_id: _org_name(project.org_id)}

    def build(org_id: str, path: frozenset[str]) -> FlowNode:
        node = FlowNode(
            org_id=org_id,
            org_name=names.get(org_id) or _org_name(org_id),
            balances=Balances.of(nodes.get(org_id)),
            uses=[_use_entry(settings, u) for u in uses.get(org_id, [])],
        )
        for d in sent.get(org_id, []):
            edge = _edge(settings, d)
            if d.status == "approved":
                node.in_transit_fen += edge.amount_fen
            if d.to_kind == "org" and d.to_id not in path:
                names.setdefault(d.to_id, d.to_name)
                edge.node = build(d.to_id, path | {d.to_id})
            node.sent.append(edge)
        return node

    return ProjectFlow(
        project_id=project_id,
        title=project.title,
        category=project.category,
        root=build(project.org_id, frozenset({project.org_id})),
    )


def _org_name(org_id: str) -> str:
    org = org_store.find_org(org_id)
    return org.name if org else org_id


@dataclass
class OrgNode:
    project_id: str
    balances: Balances


def org_flow(org_id: str) -> list[OrgNode]:
    org_store.get_org(org_id)
    return [OrgNode(project_id=n.project_id, balances=Balances.of(n)) for n in store.nodes_of_org(org_id)]
