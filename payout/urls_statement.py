"""URLs of the payout (docs/payments.md, «Årsoppgave»): the yearly statement, as a page and as a PDF."""

from django.urls import path

from payout import statement_views

PREFIX = "utbetalinger/<str:kommunenummer>/arsoppgave/<int:year>/lege/<str:hpr>/"
urlpatterns = [
    path(PREFIX, statement_views.yearly_statement_page, name="yearly_statement"),
    path(PREFIX + "pdf/", statement_views.yearly_statement_pdf, name="yearly_statement_pdf"),
]
