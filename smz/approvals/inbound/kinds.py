"""The kinds of notice the city's other systems post, their labels, and which system kind may post each.
Pure data, so reads (selectors) and writes (services) both use it."""

from __future__ import annotations

from smz.approvals.models import InboundSystem


class MessageKind:
    PERMIT = "permit"
    QUALITY_NOTICE = "quality_notice"
    SAFETY_REPORT = "safety_report"


MESSAGE_KIND_LABELS = {
    MessageKind.PERMIT: "施工许可",
    MessageKind.QUALITY_NOTICE: "质量监督任务完成告知书",
    MessageKind.SAFETY_REPORT: "安全生产标准化评定报告",
}

# The system kind that may post each message kind.
MESSAGE_SENDER = {
    MessageKind.PERMIT: InboundSystem.Kind.PERMIT,
    MessageKind.QUALITY_NOTICE: InboundSystem.Kind.QUALITY,
    MessageKind.SAFETY_REPORT: InboundSystem.Kind.SAFETY,
}
