"""Small JMeter plans for tests, written as JMeter 5.6 saves them (sparse: no enabled="true")."""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr


def element(tag: str, name: str, props: str = "", children: str | None = None, **attrs: str) -> str:
    extra = "".join(f" {key}={quoteattr(value)}" for key, value in attrs.items())
    head = f'<{tag} testclass="{tag}" testname={quoteattr(name)}{extra}>{props}</{tag}>'
    return head + (f"<hashTree>{children}</hashTree>" if children is not None else "<hashTree/>")


def prop(name: str, value: str | int | bool, kind: str = "stringProp") -> str:
    if isinstance(value, bool):
        kind, value = "boolProp", "true" if value else "false"
    elif isinstance(value, int):
        kind = "intProp"
    return f"<{kind} name={quoteattr(name)}>{escape(str(value))}</{kind}>"


def http(
    name: str, url_path: str, method: str = "GET", children: str | None = None, **extra: str | bool
) -> str:
    props = prop("HTTPSampler.path", url_path) + prop("HTTPSampler.method", method)
    props += prop("HTTPSampler.use_keepalive", True)
    for key, value in extra.items():
        props += prop(f"HTTPSampler.{key}", value)
    return element("HTTPSamplerProxy", name, props, children)


def defaults(domain: str, port: int, protocol: str = "http") -> str:
    props = prop("HTTPSampler.domain", domain) + prop("HTTPSampler.port", str(port))
    props += prop("HTTPSampler.protocol", protocol)
    return element("ConfigTestElement", "HTTP Request Defaults", props, guiclass="HttpDefaultsGui")


def thread_group(name: str, children: str, users: int = 1, loops: int = 1, tag: str = "ThreadGroup") -> str:
    loop = (
        '<elementProp name="ThreadGroup.main_controller" elementType="LoopController" '
        f'testclass="LoopController" testname="Loop Controller">{prop("LoopController.loops", str(loops))}'
        "</elementProp>"
    )
    props = prop("ThreadGroup.num_threads", users) + prop("ThreadGroup.ramp_time", 0) + loop
    return element(tag, name, props, children)


def plan(children: str, name: str = "Test Plan") -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<jmeterTestPlan version="1.2" properties="5.0" jmeter="5.6.3">'
        f"<hashTree>{element('TestPlan', name, '', children)}</hashTree></jmeterTestPlan>\n"
    )
