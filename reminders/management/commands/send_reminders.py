from django.core.management.base import BaseCommand

from reminders import services


class Command(BaseCommand):
    help = "Run the reminder sweep now and send what is due; with --dry-run, only show what would be planned."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="plan in a transaction that is rolled back")

    def handle(self, *args, dry_run: bool, **options) -> None:
        result = services.sweep(dry_run=dry_run)
        if dry_run:
            for plan in result.plans:
                self.stdout.write(
                    "隐患 {hazard}  规则「{rule}」  期限 {anchor_date}  提醒日 {occurrence}  "
                    "接收人 {recipient}  渠道 {channel}{urgent}".format(
                        **plan, urgent="  立即" if plan["immediate"] else ""
                    )
                )
            self.stdout.write(
                f"（演练）检查隐患 {result.hazards} 条，将生成提醒 {len(result.plans)} 条；未写入任何记录。"
            )
            return
        sent = services.deliver_immediate()
        self.stdout.write(f"检查隐患 {result.hazards} 条，新生成提醒 {result.planned} 条，立即发送 {sent} 条消息。")
