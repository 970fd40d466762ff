from django import forms
from django.utils.translation import gettext_lazy as _

from .constants import ProxyRelation


class RegistrationForm(forms.Form):
    name = forms.CharField(label=_("姓名"), max_length=60)
    id_number = forms.CharField(label=_("公民身份号码"), max_length=18, min_length=18,
                                help_text=_("18位，最后一位可能是X"))
    phone = forms.CharField(label=_("手机号码"), max_length=20)
    password = forms.CharField(label=_("密码"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    password2 = forms.CharField(label=_("确认密码"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    uscc = forms.CharField(label=_("统一社会信用代码（法定代表人注册法人账号时填写）"), max_length=18, required=False)

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password2") and data["password"] != data["password2"]:
            self.add_error("password2", _("两次输入的密码不一致。"))
        return data


class TwoFactorForm(forms.Form):
    token = forms.CharField(label=_("动态口令（6位数字）"), max_length=8,
                            widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}))


class ProxyGrantForm(forms.Form):
    proxy_id_number = forms.CharField(label=_("代办人公民身份号码"), max_length=18)
    relation = forms.ChoiceField(label=_("与代办人的关系"), choices=ProxyRelation.choices)
    valid_until = forms.DateField(label=_("授权截止日期"), widget=forms.DateInput(attrs={"type": "date"}))
    item_codes = forms.CharField(label=_("授权事项编码（多个用逗号分隔，留空表示全部事项）"), required=False)

    def cleaned_item_codes(self) -> list[str]:
        raw = self.cleaned_data.get("item_codes") or ""
        return [c.strip() for c in raw.replace("，", ",").split(",") if c.strip()]
