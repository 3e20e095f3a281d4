"""What to do about a leaked credential, per rule, and how bad the leak is.

Each built-in secret rule (a recognizer name) has one sentence saying where to revoke or
rotate that credential; ``remediation_for`` adds the step every leak shares: purge it from
the history and load it from the environment or a secret manager. Private keys, cloud
account credentials, secrets managers and payment keys are critical; most tokens high;
generic secrets and narrow webhooks medium.
"""

from __future__ import annotations

from veil.scan._finding import Severity

_AFTERWARDS = ("Then remove it from the code and from git history (git filter-repo or BFG) and load it "
               "from an environment variable or a secret manager.")
#: A rule this table does not know (a custom recognizer): a credential all the same.
UNKNOWN_RULE_ACTION = "Revoke or rotate this credential where it was issued."
UNKNOWN_RULE_SEVERITY = Severity.HIGH

_C, _H, _M = Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM
_AWS_KEY = (_C, "Deactivate and delete the access key in the AWS console (IAM > Users > Security "
                "credentials) or with `aws iam delete-access-key`, and check CloudTrail for its use.")
_TWILIO = (_H, "Delete the API key or rotate the auth token in the Twilio Console (Account > API keys & "
               "tokens).")
_SENTRY = (_H, "Revoke the token in Sentry (User settings > Personal tokens, or Settings > Auth tokens for "
               "an organization token).")
_NOTION = (_H, "Refresh the integration's secret at notion.so/my-integrations, or remove the integration.")

_RULES: dict[str, tuple[Severity, str]] = {
    # keys and key files
    "private_key": (_C, "Treat the key pair as compromised: make a new one, trust its public half where "
                        "the old one was trusted (authorized_keys, deploy keys, certificates) and revoke "
                        "the old one."),
    "gcp_service_account": (_C, "Delete this key in the Google Cloud console (IAM & Admin > Service "
                                "accounts > Keys) or with `gcloud iam service-accounts keys delete`."),
    "age_secret_key": (_C, "Make a new identity with `age-keygen`, re-encrypt to its recipient, and treat "
                           "what was encrypted to the old one as readable."),
    # cloud accounts and infrastructure
    "aws_access_key": _AWS_KEY,
    "aws_secret_key_pair": _AWS_KEY,
    "aws_secret_key": _AWS_KEY,
    "aws_session_token": (_C, "Revoke the role's active sessions (IAM > Roles > Revoke active sessions) "
                              "and rotate the credentials that issued the token."),
    "aws_bedrock_api_key": (_H, "Delete the Bedrock API key in the AWS console (Amazon Bedrock > API keys) "
                                "and issue a new one."),
    "gcp_api_key": (_H, "Regenerate or delete the key in the Google Cloud console (APIs & Services > "
                        "Credentials) and restrict the new one to the APIs it needs."),
    "azure_key": (_C, "Rotate the key in the Azure portal (the resource's Access keys > Rotate) or with "
                      "`az storage account keys renew`; SAS tokens die with the key that signed them."),
    "azure_ad_client_secret": (_C, "Delete the client secret in Microsoft Entra ID (App registrations > "
                                   "Certificates & secrets) or with `az ad app credential delete`."),
    "alibaba_access_key_id": (_C, "Disable and delete the AccessKey pair in the Alibaba Cloud RAM console "
                                  "(Users > the user's AccessKey pairs) and create a new one."),
    "digitalocean_token": (_C, "Revoke the token in the DigitalOcean control panel (API > Tokens) and "
                               "create a new scoped one."),
    "hashicorp_vault_token": (_C, "Revoke the token with `vault token revoke` and check Vault's audit log "
                                  "for its use."),
    "doppler_token": (_C, "Revoke the token in Doppler (the config's Access tab, or your account's tokens) "
                          "and rotate the secrets it could read."),
    "onepassword_service_account_token": (_C, "Revoke the token in 1Password (Developer > Service "
                                              "accounts) and rotate the items its vaults hold."),
    "onepassword_secret_key": (_C, "Regenerate the Secret Key on 1password.com (your account's profile > "
                                   "Regenerate Secret Key) and sign out other devices."),
    "terraform_cloud_token": (_H, "Delete the token in HCP Terraform (User settings > Tokens, or the team "
                                  "or organization tokens page)."),
    "pulumi_access_token": (_H, "Delete the token in Pulumi Cloud (Personal settings > Access tokens)."),
    "tailscale_key": (_H, "Revoke the key in the Tailscale admin console (Settings > Keys) and remove "
                          "devices it added."),
    "flyio_token": (_H, "Revoke the token with `fly tokens revoke` or in the Fly.io dashboard (Tokens)."),
    "heroku_api_key": (_H, "Revoke the token with `heroku authorizations:revoke` or in Heroku (Account "
                           "settings > Applications)."),
    "cloudflare_origin_ca_key": (_H, "Regenerate the Origin CA key in Cloudflare (My Profile > API Tokens) "
                                     "and revoke the certificates issued with it."),
    "databricks_token": (_H, "Revoke the token in Databricks (Settings > Developer > Access tokens, or the "
                             "service principal's secrets) or with `databricks tokens delete`."),
    "supabase_token": (_H, "Revoke the access token in Supabase (Account > Access tokens) or roll the "
                           "project's secret key in its API settings."),
    "planetscale_token": (_H, "Delete the service token or password in PlanetScale (Settings > Service "
                              "tokens, or the branch's Passwords)."),
    "openshift_user_token": (_H, "End the session with `oc logout` or delete its token with `oc delete "
                                 "oauthaccesstoken`."),
    "connection_string": (_H, "Change the database user's password (`ALTER USER`, or the hosting "
                              "provider's console) and limit who can connect to the server."),
    # source hosting, registries, CI
    "github_token": (_H, "Revoke the token at github.com/settings/tokens, or in the app's settings for app "
                         "and OAuth tokens."),
    "gitlab_token": (_H, "Revoke the token in GitLab (User settings > Access tokens, or the project's or "
                         "group's token page)."),
    "atlassian_api_token": (_H, "Revoke the token at id.atlassian.com/manage-profile/security/api-tokens."),
    "bitbucket_app_password": (_H, "Revoke the app password in Bitbucket (Personal settings > App "
                                   "passwords) and use a scoped API token instead."),
    "npm_token": (_H, "Revoke the token on npmjs.com (Access Tokens) or with `npm token revoke`."),
    "pypi_token": (_H, "Remove the token at pypi.org/manage/account/token/ and prefer trusted publishing "
                       "from CI."),
    "docker_hub_token": (_H, "Delete the token in Docker Hub (Account settings > Personal access tokens)."),
    "rubygems_api_key": (_H, "Revoke the key at rubygems.org/profile/api_keys and create a scoped one."),
    "crates_io_token": (_H, "Revoke the token at crates.io/settings/tokens and create a scoped one."),
    "nuget_api_key": (_H, "Delete or regenerate the key on nuget.org (API Keys) with the narrowest glob."),
    "clojars_token": (_H, "Disable the deploy token at clojars.org/tokens."),
    "jfrog_api_key": (_H, "Revoke the API key in the JFrog Platform (Edit profile) and move to scoped "
                          "access tokens."),
    "jfrog_reference_token": (_H, "Revoke the token in the JFrog Platform (Administration > User "
                                  "management > Access tokens)."),
    "buildkite_token": (_H, "Revoke the token at buildkite.com/user/api-access-tokens."),
    "circleci_token": (_H, "Delete the token in CircleCI (User settings > Personal API tokens, or the "
                           "project's API permissions)."),
    "sonarqube_token": (_H, "Revoke the token in SonarQube (My account > Security)."),
    "sourcegraph_token": (_H, "Delete the token in Sourcegraph (User settings > Access tokens)."),
    "octopus_deploy_api_key": (_H, "Revoke the key in Octopus Deploy (your profile > My API keys)."),
    "harness_token": (_H, "Delete the token in Harness (My profile > My API keys, or the service account's "
                          "tokens)."),
    "postman_api_key": (_H, "Revoke the key in Postman (Settings > API keys)."),
    "readme_api_key": (_H, "Revoke the key in the ReadMe dashboard (API keys)."),
    "figma_token": (_H, "Revoke the token in Figma (Settings > Security > Personal access tokens)."),
    "linear_api_key": (_H, "Revoke the key in Linear (Settings > Security & access > API)."),
    "typeform_token": (_H, "Revoke the token in Typeform (Account > Personal tokens)."),
    "frameio_token": (_H, "Revoke the token on the Frame.io developer site (Tokens)."),
    "contentful_token": (_H, "Revoke the token in Contentful (Settings > CMA tokens)."),
    "prefect_api_key": (_H, "Delete the key in Prefect Cloud (Profile > API keys)."),
    "deno_deploy_token": (_H, "Delete the token in Deno Deploy (Account settings > Access tokens)."),
    "infracost_api_key": (_H, "Rotate the key in Infracost Cloud (Org settings > API key)."),
    # observability
    "grafana_cloud_token": (_H, "Delete the token in Grafana Cloud (Administration > Cloud access "
                                "policies)."),
    "grafana_service_account_token": (_H, "Delete the token in Grafana (Administration > Service accounts)."),
    "grafana_api_key": (_H, "Delete the API key in Grafana (Administration > API keys) and move to a "
                            "service account token."),
    "sentry_user_token": _SENTRY,
    "sentry_org_token": _SENTRY,
    "sentry_dsn": (_M, "The secret half of a legacy DSN lets anyone send events as your server: revoke "
                       "the client key in Sentry (Project settings > Client keys) and use a public DSN."),
    "dynatrace_token": (_H, "Revoke the token in Dynatrace (Access tokens) and create one with fewer "
                            "scopes."),
    "newrelic_key": (_H, "Delete or rotate the key in New Relic (API keys) and update the agents that use "
                         "it."),
    # collaboration, messaging, marketing
    "slack_token": (_H, "Revoke the token or webhook in the app's settings at api.slack.com/apps and "
                        "reinstall the app for a new one."),
    "notion_token": _NOTION,
    "notion_legacy_token": _NOTION,
    "telegram_bot_token": (_H, "Revoke the token with @BotFather (/revoke) and deploy the new one."),
    "discord_bot_token": (_H, "Reset the token in the Discord Developer Portal (your application > Bot)."),
    "discord_webhook": (_M, "Delete the webhook in the channel's settings (Integrations > Webhooks)."),
    "teams_webhook": (_M, "Remove the incoming webhook (or workflow) from the Teams channel and create a "
                          "new one."),
    "sendgrid_key": (_H, "Delete the key in SendGrid (Settings > API Keys) and create one with restricted "
                         "access."),
    "mailgun_api_key": (_H, "Rotate the key in Mailgun (Settings > API security)."),
    "mailchimp_api_key": (_H, "Disable the key in Mailchimp (Profile > Extras > API keys)."),
    "brevo_api_key": (_H, "Delete the key in Brevo (SMTP & API > API keys)."),
    "twilio_key": _TWILIO,
    "twilio_auth_token": _TWILIO,
    "twitter_bearer_token": (_H, "Regenerate the bearer token in the X developer portal (your app > Keys "
                                 "and tokens)."),
    "facebook_access_token": (_H, "Invalidate the token in Meta for Developers (reset the app secret, or "
                                  "remove the app's access) and issue a new one."),
    "okta_api_token": (_H, "Revoke the token in the Okta Admin Console (Security > API > Tokens)."),
    "hubspot_token": (_H, "Rotate the private app's token in HubSpot (Settings > Integrations > Private "
                          "apps)."),
    "salesforce_access_token": (_H, "Revoke the session in Salesforce (Setup > Session management, or the "
                                    "connected app's OAuth usage)."),
    "airtable_token": (_H, "Delete or regenerate the token at airtable.com/create/tokens."),
    "adafruit_io_key": (_H, "Regenerate the key in Adafruit IO (My Key > Regenerate key)."),
    "jwt": (_M, "Treat the session as stolen: revoke it where it was issued, or rotate the signing key if "
                "the token does not expire soon."),
    "generic_secret": (_M, "Change the password or secret where it is issued, and wherever else it was "
                           "reused."),
    # payments and commerce
    "stripe_key": (_C, "Roll the key in the Stripe Dashboard (Developers > API keys) and review recent API "
                       "activity."),
    "stripe_webhook_secret": (_H, "Roll the endpoint's signing secret in the Stripe Dashboard (Developers "
                                  "> Webhooks) and update the receiver."),
    "square_token": (_C, "Revoke the access token or replace the application secret in the Square "
                         "Developer Dashboard (your application > Credentials, OAuth)."),
    "braintree_access_token": (_C, "Revoke the access token in the Braintree Control Panel (Settings > "
                                   "API) and issue a new one."),
    "plaid_access_token": (_C, "Invalidate the item's token (/item/access_token/invalidate) or remove the "
                               "item, and rotate the Plaid secret if it leaked too."),
    "flutterwave_secret_key": (_C, "Regenerate the secret key in the Flutterwave dashboard (Settings > API "
                                   "keys)."),
    "shopify_access_token": (_H, "Revoke the token by rotating the app's credentials in the Shopify admin "
                                 "(Settings > Apps and sales channels > Develop apps)."),
    "shopify_shared_secret": (_H, "Rotate the app's API secret key in the Shopify Partner Dashboard (Apps "
                                  "> your app > API access)."),
    "shippo_api_token": (_H, "Regenerate the token in Shippo (Settings > API)."),
    "duffel_api_token": (_H, "Revoke the token in the Duffel dashboard (Developers > Access tokens)."),
    "easypost_api_key": (_H, "Disable the key in EasyPost (Account settings > API keys)."),
    # Google, maps, AI providers
    "google_oauth_client_secret": (_H, "Add a new client secret and delete the old one in the Google Cloud "
                                       "console (APIs & Services > Credentials > your OAuth client)."),
    "google_oauth_token": (_H, "Revoke the grant at myaccount.google.com/permissions or with the revoke "
                               "endpoint (oauth2.googleapis.com/revoke)."),
    "firebase_fcm_server_key": (_H, "Delete the legacy server key in the Firebase console (Project "
                                    "settings > Cloud Messaging) and move to the HTTP v1 API."),
    "mapbox_secret_token": (_H, "Delete the token at account.mapbox.com/access-tokens."),
    "openai_api_key": (_H, "Revoke the key at platform.openai.com/api-keys (or the project's keys)."),
    "anthropic_api_key": (_H, "Revoke the key in the Anthropic Console (Settings > API keys)."),
    "huggingface_token": (_H, "Invalidate the token at huggingface.co/settings/tokens and create a "
                              "fine-grained one."),
    "replicate_api_token": (_H, "Disable the token at replicate.com/account/api-tokens."),
    "groq_api_key": (_H, "Delete the key at console.groq.com/keys."),
    "perplexity_api_key": (_H, "Revoke the key in Perplexity (Settings > API)."),
    "xai_api_key": (_H, "Delete the key in the xAI console (API keys)."),
    "openrouter_api_key": (_H, "Delete the key at openrouter.ai/settings/keys and set a credit limit on "
                               "the new one."),
    "langsmith_api_key": (_H, "Delete the key in LangSmith (Settings > API keys)."),
    "langfuse_secret_key": (_H, "Delete the key pair in Langfuse (Project settings > API keys)."),
    "pinecone_api_key": (_H, "Delete the key in the Pinecone console (API keys)."),
    "nvidia_api_key": (_H, "Revoke the key on build.nvidia.com or in NGC (Setup > API keys)."),
    "elevenlabs_api_key": (_H, "Delete the key in ElevenLabs (Developers > API keys)."),
    "yandex_api_key": (_H, "Delete the service account's key in Yandex Cloud (`yc iam api-key delete`)."),
    "maxmind_license_key": (_M, "Deactivate the key in your MaxMind account (Manage license keys) and "
                                "generate a new one."),
}


def remediation_for(rule: str) -> str:
    """Where to revoke or rotate what ``rule`` found, then the clean-up every leak needs."""
    _, action = _RULES.get(rule, (UNKNOWN_RULE_SEVERITY, UNKNOWN_RULE_ACTION))
    return f"{action} {_AFTERWARDS}"


def severity_for(rule: str) -> Severity:
    """How bad a leak of what ``rule`` finds is; HIGH for a rule the table does not know."""
    return _RULES.get(rule, (UNKNOWN_RULE_SEVERITY, ""))[0]


def known_rules() -> frozenset[str]:
    """The rules with a remediation of their own."""
    return frozenset(_RULES)
