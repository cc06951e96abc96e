"""Gets one token from Lapis with an unmodified Python client and prints it as JSON.

Run by test/identity/python-clients.test.ts. Everything comes from the environment:
  LAPIS_CLIENT   msal-certificate | identity-certificate | identity-secret
  LAPIS_AUTHORITY_HOST, LAPIS_TENANT_ID, LAPIS_CLIENT_ID, LAPIS_SCOPE
  LAPIS_CERT_PATH (PEM with certificate and key), LAPIS_THUMBPRINT (SHA-1 hex), LAPIS_SECRET
  REQUESTS_CA_BUNDLE / SSL_CERT_FILE make requests trust Lapis's CA.
Prints {"ok": true, "access_token": ...} or {"ok": false, "error": ...}; exits 0 either way.
"""
import json
import os
import sys


def msal_certificate(env):
    import msal
    with open(env["LAPIS_CERT_PATH"], encoding="utf-8") as f:
        pem = f.read()
    app = msal.ConfidentialClientApplication(
        env["LAPIS_CLIENT_ID"],
        authority=env["LAPIS_AUTHORITY_HOST"] + "/" + env["LAPIS_TENANT_ID"],
        client_credential={"private_key": pem, "thumbprint": env["LAPIS_THUMBPRINT"]},
        # MSAL would otherwise ask login.microsoftonline.com about this host.
        instance_discovery=False,
    )
    result = app.acquire_token_for_client(scopes=[env["LAPIS_SCOPE"]])
    if "access_token" not in result:
        return {"ok": False, "error": result}
    return {"ok": True, "access_token": result["access_token"], "expires_in": result.get("expires_in")}


def identity(env, kind):
    import inspect
    from azure.identity import CertificateCredential, ClientSecretCredential
    from azure.identity._internal.msal_credentials import MsalCredential
    common = dict(authority=env["LAPIS_AUTHORITY_HOST"])
    # Skip instance discovery at login.microsoftonline.com; the option's name changed in 1.13 GA.
    if "instance_discovery" in inspect.signature(MsalCredential.__init__).parameters:
        common["instance_discovery"] = False
    else:
        common["disable_instance_discovery"] = True
    if kind == "certificate":
        cred = CertificateCredential(env["LAPIS_TENANT_ID"], env["LAPIS_CLIENT_ID"], env["LAPIS_CERT_PATH"], **common)
    else:
        cred = ClientSecretCredential(env["LAPIS_TENANT_ID"], env["LAPIS_CLIENT_ID"], env["LAPIS_SECRET"], **common)
    try:
        token = cred.get_token(env["LAPIS_SCOPE"])
    except Exception as err:  # the test prints what the SDK said
        return {"ok": False, "error": "%s: %s" % (type(err).__name__, err)}
    return {"ok": True, "access_token": token.token, "expires_on": token.expires_on}


def main():
    env = os.environ
    kind = env.get("LAPIS_CLIENT", "")
    if kind == "msal-certificate":
        out = msal_certificate(env)
    elif kind == "identity-certificate":
        out = identity(env, "certificate")
    elif kind == "identity-secret":
        out = identity(env, "secret")
    else:
        out = {"ok": False, "error": "unknown LAPIS_CLIENT %r" % kind}
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
