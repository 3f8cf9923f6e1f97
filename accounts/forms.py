from django import forms

from accounts.models import NoticePreference


class NoticePreferenceForm(forms.ModelForm):
    class Meta:
        model = NoticePreference
        fields = ["email_expiry", "email_decision", "email_month", "email_import"]
