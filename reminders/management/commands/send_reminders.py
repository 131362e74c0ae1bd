import argparse
import datetime

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from accounts.models import User
from hazards.models import Hazard
from reminders import services
from reminders.models import RobotTarget


def moment(value: str) -> datetime.datetime:
    """An ISO 8601 date and time; without an offset, in the project's time zone (Asia/Shanghai)."""
    try:
        parsed = parse_datetime(value)
    except ValueError:
        parsed = None
    if parsed is None:
        raise argparse.ArgumentTypeError(f"not an ISO date and time such as 2026-12-01T08:00: {value!r}")
    return timezone.make_aware(parsed) if timezone.is_naive(parsed) else parsed


class Command(BaseCommand):
    help = (
        "Run the reminder sweep now and send what is due. With --dry-run, only show what would be planned "
        "and why; with --dry-run --now, what the sweep would plan at that moment from the data as it is."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="plan in a transaction that is rolled back")
        parser.add_argument(
            "--now",
            type=moment,
            metavar="DATETIME",
            help="with --dry-run: plan as of this moment, e.g. 2026-12-01T08:00 (Asia/Shanghai unless an offset "
            "is given)",
        )

    def handle(self, *args, dry_run: bool, now: datetime.datetime | None, **options) -> None:
        if now is not None and not dry_run:
            raise CommandError("--now 只能与 --dry-run 一起使用：提醒只能按当前时间发送。")
        result = services.sweep(now=now, dry_run=dry_run, workers=settings.REMINDER_SWEEP_WORKERS)
        if dry_run:
            self._show(result, now=now or timezone.now())
            return
        sent = services.deliver_immediate()
        self.stdout.write(f"检查隐患 {result.hazards} 条，新生成提醒 {result.planned} 条，立即发送 {sent} 条消息。")

    def _show(self, result: services.SweepResult, *, now: datetime.datetime) -> None:
        plans = result.plans
        numbers = dict(Hazard.objects.filter(pk__in={p["hazard"] for p in plans}).values_list("pk", "number"))
        people = dict(User.objects.filter(pk__in={p["recipient"] for p in plans}).values_list("pk", "username"))
        robots = dict(RobotTarget.objects.filter(pk__in={p["target"] for p in plans}).values_list("pk", "name"))
        for plan in plans:
            to = people.get(plan["recipient"]) if plan["recipient"] else f"群机器人「{robots.get(plan['target'])}」"
            number = numbers.get(plan["hazard"], plan["hazard"])
            self.stdout.write(
                f"隐患 {number}  规则「{plan['rule']}」  期限 {plan['anchor_date']}  "
                f"提醒日 {plan['occurrence']}  接收人 {to}  渠道 {plan['channel']}"
                + ("  立即" if plan["immediate"] else "")
            )
        at = timezone.localtime(now).strftime("%Y-%m-%d %H:%M")
        self.stdout.write(
            f"（演练，按 {at} 计）检查隐患 {result.hazards} 条，将生成提醒 {len(plans)} 条；未写入任何记录。"
        )
