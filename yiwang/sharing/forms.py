from django import forms
from django.utils.translation import gettext_lazy as _


class SharingRequestForm(forms.Form):
    elements = forms.MultipleChoiceField(label=_("申请的数据项"), widget=forms.CheckboxSelectMultiple,
                                         help_text=_("只能选择同一来源部门的“有条件共享”数据项。"))
    purpose = forms.CharField(label=_("用途"), max_length=500, widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}))
    legal_basis = forms.CharField(label=_("法律依据"), max_length=500, widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}))
    valid_until = forms.DateField(label=_("有效期至"), widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}))

    def __init__(self, *args, element_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["elements"].choices = list(element_choices)


class RefuseForm(forms.Form):
    reasons = forms.CharField(label=_("拒绝理由"), max_length=2000,
                              widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}))
