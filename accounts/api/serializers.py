from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts.models import Region, ResponsibleUnit, Sector, SupervisingDepartment, User
from core import login_limit
from core.api.errors import LoginLocked
from core.api.serializers import StrictSerializer


class TokenRequestSerializer(StrictSerializer):
    username = serializers.CharField(label=_("用户名"))
    password = serializers.CharField(label=_("密码"), style={"input_type": "password"}, trim_whitespace=False)

    def validate(self, attrs: dict) -> dict:
        request = self.context["request"]
        try:
            user = login_limit.authenticate(request, username=attrs["username"], password=attrs["password"])
        except login_limit.LoginLocked as locked:
            raise LoginLocked(locked.message, wait=locked.wait) from None
        if user is None:
            raise serializers.ValidationError(_("用户名或密码不正确。"), code="invalid_credentials")
        attrs["user"] = user
        return attrs


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(read_only=True, help_text="令牌：请求头中带 `Authorization: Token <令牌>`")
    expires_at = serializers.DateTimeField(read_only=True, help_text="到期时间；到期后需重新取得或提前轮换")


class RegionSerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    level_display = serializers.CharField(source="get_level_display", read_only=True)

    class Meta:
        model = Region
        fields = ["code", "name", "level", "level_display", "parent"]
        read_only_fields = fields


class DepartmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = SupervisingDepartment
        fields = ["code", "name"]
        read_only_fields = fields


class SectorSerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    department = DepartmentSerializer(read_only=True)

    class Meta:
        model = Sector
        fields = ["code", "name", "parent", "department"]
        read_only_fields = fields


class UnitSectorSerializer(serializers.Serializer):
    code = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)


class UnitSerializer(serializers.ModelSerializer):
    region = serializers.SlugRelatedField(slug_field="code", read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    sector = UnitSectorSerializer(read_only=True, allow_null=True, help_text="行业领域；未填时为 null")

    class Meta:
        model = ResponsibleUnit
        fields = [
            "id",
            "name",
            "kind",
            "kind_display",
            "credit_code",
            "sector",
            "region",
            "address",
            "contact_name",
            "is_active",
        ]
        read_only_fields = fields


class MeSerializer(serializers.ModelSerializer):
    role_display = serializers.CharField(source="get_role_display", read_only=True)
    region = RegionSerializer(read_only=True, allow_null=True)
    unit = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["username", "full_name", "role", "role_display", "region", "unit"]
        read_only_fields = fields

    def get_unit(self, user: User) -> dict | None:
        return {"id": user.unit_id, "name": user.unit.name} if user.unit_id else None
