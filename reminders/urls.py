"""URLs of the in-app inbox, mounted at the site root by config/urls.py (the addresses it always had)."""

from django.urls import path

from reminders import views

app_name = "reminders"

urlpatterns = [
    path("messages/", views.messages, name="messages"),
    path("messages/read/", views.messages_read, name="messages_read_all"),
    path("messages/<int:message_id>/read/", views.messages_read, name="message_read"),
]
