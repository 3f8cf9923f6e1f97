from django.core.checks import Error, register


@register()
def oidc_settings(app_configs, **kwargs):
    """OIDC_GROUP_ROLES and OIDC_TENANTS are JSON in the environment: a typo is found at start, not at a login."""
    from accounts.oidc import check_settings

    return [Error(problem, id="accounts.E001") for problem in check_settings()]
