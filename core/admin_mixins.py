"""Admin helpers shared by the apps."""

from django.core.exceptions import PermissionDenied


class ReadOnlyAdminMixin:
    """Rows that only the services write (payment lines and months, runs, list counts, imports, ALIS cases):
    the admin shows them but adds, changes and deletes nothing, not even for a superuser, so money that is
    frozen stays frozen and every change keeps its trace. With delete refused Django drops the delete
    action, and deleting a parent row that would cascade into these rows is refused too. A closed month
    is reopened on its month page (*Gjenåpne*, superusers, with a reason kept in the history)."""

    def has_add_permission(self, request, obj=None):  # obj: the signature of inlines
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def revert_disabled(self, request, obj=None):  # SimpleHistoryAdmin: no "Revert" button
        return True

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # SimpleHistoryAdmin saves a POSTed old version after checking only the view permission
        if request.method == "POST":
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)


class DatedTableAdminMixin:
    """A dated parameter table (rates, supervision requirements): data that superusers add and edit here, with
    every change kept in the history; a row is never deleted, because months were paid or agreements flagged
    with it — a newer row replaces it."""

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return False
