"""`--security-opt` as moby's parseSecurityOpt reads HostConfig.SecurityOpt: `no-new-privileges[=bool]`,
`seccomp=unconfined|<profile JSON>` (the docker CLI reads a profile file and sends its content), and
`apparmor=` and `label=` which porthole cannot honour beyond "unconfined" and "disable" (it applies neither
AppArmor nor SELinux, so those two say what is true; any other value is refused, not ignored)."""

from dataclasses import dataclass

from runtime.errors import InvalidParameter, NotImplementedYet

UNCONFINED = "unconfined"
BUILTIN = "builtin"  # the daemon's default profile, by name
_TRUE = ("1", "t", "T", "true", "TRUE", "True")  # Go's strconv.ParseBool
_FALSE = ("0", "f", "F", "false", "FALSE", "False")


@dataclass(frozen=True)
class SecurityOpts:
    seccomp: str = ""  # "" or "builtin": the daemon's default profile; "unconfined"; or a profile's JSON
    no_new_privileges: bool = False


def parse_security_opts(options: list[str] | None) -> SecurityOpts:
    seccomp, no_new_privileges = "", False
    if options is not None and (not isinstance(options, list) or not all(isinstance(o, str) for o in options)):
        raise InvalidParameter("invalid JSON: HostConfig.SecurityOpt: expected a list of strings")
    for opt in options or ():
        if opt == "no-new-privileges":
            no_new_privileges = True
            continue
        if opt == "disable":  # label=disable's old spelling
            continue
        separator = "=" if "=" in opt else ":"
        key, found, value = opt.partition(separator)
        if not found:
            raise InvalidParameter(f'invalid --security-opt 1: "{opt}"')
        if key == "seccomp":
            seccomp = value
        elif key == "no-new-privileges":
            if value not in _TRUE + _FALSE:
                raise InvalidParameter(f'invalid --security-opt 2: "{opt}"')
            no_new_privileges = value in _TRUE
        elif key == "apparmor":
            if value != UNCONFINED:
                raise NotImplementedYet(f"porthole: --security-opt {opt}: AppArmor profiles are not supported")
        elif key == "label":
            if value != "disable":
                raise NotImplementedYet(f"porthole: --security-opt {opt}: SELinux labels are not supported")
        else:
            raise InvalidParameter(f'invalid --security-opt 2: "{opt}"')
    return SecurityOpts(seccomp, no_new_privileges)
