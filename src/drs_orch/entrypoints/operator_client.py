"""The operator CLI's client side: profiles (an API URL and a Cognito user pool client per
deployment), sign-in with Cognito (USER_PASSWORD_AUTH, tokens cached with mode 0600 and refreshed
with the refresh token), and JSON calls to the REST API that turn its ``{error, message}`` answers
into :class:`ApiError`. Works the same against the local stack and a deployed stack."""

from __future__ import annotations

import json
import os
import stat
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_PROFILE = "default"


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, details: Any = None) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message, self.details = status, code, message, details


def config_dir() -> Path:
    explicit = os.environ.get("DRS_ORCH_CONFIG_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "drs-orch"


def _read(path: Path) -> dict[str, Any]:
    return dict(json.loads(path.read_text())) if path.exists() else {}


def _write_private(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, stat.S_IRUSR | stat.S_IWUSR)
    with os.fdopen(fd, "w") as f:
        json.dump(data, f, indent=2)
    os.replace(tmp, path)


@dataclass(frozen=True)
class Profile:
    name: str
    api_url: str
    client_id: str
    region: str

    def to_dict(self) -> dict[str, str]:
        return {"apiUrl": self.api_url, "clientId": self.client_id, "region": self.region}


def profile_name(explicit: str | None) -> str:
    return explicit or os.environ.get("DRS_ORCH_PROFILE") or DEFAULT_PROFILE


def save_profile(profile: Profile) -> None:
    profiles = _read(config_dir() / "profiles.json")
    profiles[profile.name] = profile.to_dict()
    _write_private(config_dir() / "profiles.json", profiles)


def load_profile(name: str) -> Profile:
    entry = _read(config_dir() / "profiles.json").get(name)
    if entry is None:
        raise ApiError(0, "NO_PROFILE", f"no profile {name!r}; create it with `drs-orch profile add {name} "
                                        "--api-url URL --client-id ID --region R`")
    return Profile(name, str(entry["apiUrl"]).rstrip("/"), str(entry["clientId"]), str(entry["region"]))


class Session:
    """Cognito tokens of one profile, cached in ``credentials.json`` (mode 0600)."""

    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        self.path = config_dir() / "credentials.json"

    def _cognito(self) -> Any:
        import boto3

        return boto3.client("cognito-idp", region_name=self.profile.region)

    def login(self, username: str, password: str) -> None:
        try:
            answer = self._cognito().initiate_auth(ClientId=self.profile.client_id, AuthFlow="USER_PASSWORD_AUTH",
                                                   AuthParameters={"USERNAME": username, "PASSWORD": password})
        except Exception as exc:  # noqa: BLE001 - botocore's errors carry the reason in their text
            raise ApiError(401, "LOGIN_FAILED", f"sign-in as {username} failed: {exc}") from None
        if "AuthenticationResult" not in answer:
            raise ApiError(401, "LOGIN_CHALLENGE", f"sign-in needs {answer.get('ChallengeName')}; complete it in "
                                                   "the console first (e.g. a new password)")
        self._store(answer["AuthenticationResult"], username)

    def _store(self, result: dict[str, Any], username: str | None = None) -> None:
        creds = _read(self.path)
        entry = dict(creds.get(self.profile.name) or {})
        entry.update(idToken=result["IdToken"], expiresAt=time.time() + int(result.get("ExpiresIn", 3600)) - 60)
        if result.get("RefreshToken"):
            entry["refreshToken"] = result["RefreshToken"]
        if username:
            entry["username"] = username
        creds[self.profile.name] = entry
        _write_private(self.path, creds)

    def token(self) -> str:
        entry = _read(self.path).get(self.profile.name)
        if not entry:
            raise ApiError(401, "NOT_SIGNED_IN", f"not signed in for profile {self.profile.name}; run "
                                                 f"`drs-orch login --profile {self.profile.name}`")
        if float(entry.get("expiresAt", 0)) > time.time():
            return str(entry["idToken"])
        if not entry.get("refreshToken"):
            raise ApiError(401, "SESSION_EXPIRED", "the session expired; run `drs-orch login` again")
        try:
            answer = self._cognito().initiate_auth(ClientId=self.profile.client_id, AuthFlow="REFRESH_TOKEN_AUTH",
                                                   AuthParameters={"REFRESH_TOKEN": entry["refreshToken"]})
        except Exception as exc:  # noqa: BLE001
            raise ApiError(401, "SESSION_EXPIRED", f"the session could not be refreshed ({exc}); log in again") from None
        self._store(answer["AuthenticationResult"])
        return str(answer["AuthenticationResult"]["IdToken"])


class Api:
    """JSON over HTTPS to the REST API with the profile's bearer token."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def call(self, method: str, path: str, body: Any = None, **query: Any) -> Any:
        params = {k: v for k, v in query.items() if v is not None}
        url = self.session.profile.api_url + path + (("?" + urllib.parse.urlencode(params)) if params else "")
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(url, data=data, method=method, headers={
            "Authorization": f"Bearer {self.session.token()}", "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=120) as answer:  # noqa: S310 - the profile's API URL
                raw = answer.read()
                return json.loads(raw) if raw else None
        except urllib.error.HTTPError as exc:
            raw = exc.read()
            try:
                payload = json.loads(raw)
            except ValueError:
                payload = {"error": f"HTTP_{exc.code}", "message": raw.decode(errors="replace")[:500]}
            raise ApiError(exc.code, str(payload.get("error") or f"HTTP_{exc.code}"),
                           str(payload.get("message") or ""), payload.get("details")) from None
        except urllib.error.URLError as exc:
            raise ApiError(0, "UNREACHABLE", f"{self.session.profile.api_url} did not answer: {exc.reason}") from None
