"""Which JMeter elements surge runs, which it ignores, which make it refuse a plan, and why.

Every enabled element of a plan falls in one of three cases (docs/jmeter-plans.md has the table):

- **run**: the element's kind is in ``KINDS`` and surge does what JMeter does with it;
- **ignore**: the plan runs as JMeter would without it (listeners, which ``jmeter -n -l`` users
  replace by the results file; a recorder; a cache) and one warning names them;
- **refuse**: without it the plan would not do what it says (scripts, plugins, elements surge
  does not know), so the run is refused, one line per element, exit code 2.

An extractor surge cannot run is ignored when no ``${variable}`` of the plan reads what it
extracts: it changes nothing then.
"""

from __future__ import annotations

from dataclasses import dataclass

# testclass -> what surge does with it.
KINDS: dict[str, str] = {
    "TestPlan": "plan",
    "ThreadGroup": "group",
    "SetupThreadGroup": "group",
    "PostThreadGroup": "group",
    "HTTPSamplerProxy": "http",
    "HTTPSampler": "http",
    "HTTPSampler2": "http",
    "TestAction": "action",
    "GenericController": "simple",
    "RecordingController": "simple",
    "LoopController": "loop",
    "TransactionController": "transaction",
    "IfController": "if",
    "OnceOnlyController": "once",
    "ThroughputController": "throughput",
    "RandomController": "random",
    "RandomOrderController": "random_order",
    "InterleaveControl": "interleave",
    "ModuleController": "module",
    "TestFragmentController": "fragment",
    "ConfigTestElement": "defaults",
    "HeaderManager": "headers",
    "CookieManager": "cookies",
    "Arguments": "variables",
    "CSVDataSet": "csv",
    "RandomVariableConfig": "random_variable",
    "CounterConfig": "counter",
    "UserParameters": "user_parameters",
    "RegexExtractor": "regex",
    "JSONPostProcessor": "json",
    "BoundaryExtractor": "boundary",
    "ResponseAssertion": "response_assertion",
    "DurationAssertion": "duration_assertion",
    "SizeAssertion": "size_assertion",
    "ConstantTimer": "constant_timer",
    "UniformRandomTimer": "uniform_timer",
    "GaussianRandomTimer": "gaussian_timer",
    "PoissonRandomTimer": "poisson_timer",
    "ConstantThroughputTimer": "throughput_timer",
}

SCOPED = frozenset(("defaults", "headers", "user_parameters", "regex", "json", "boundary",
                    "response_assertion", "duration_assertion", "size_assertion", "constant_timer",
                    "uniform_timer", "gaussian_timer", "poisson_timer", "throughput_timer"))  # fmt: skip
GLOBAL = frozenset(("cookies", "variables", "csv", "random_variable", "counter"))
CONTROLLERS = frozenset(("simple", "loop", "transaction", "if", "once", "throughput", "random",
                         "random_order", "interleave", "module"))  # fmt: skip
SAMPLERS = frozenset(("http", "action"))

# Ignored, with the reason shown in the warning.
_IGNORED: dict[str, str] = {
    "ResultCollector": "a listener: surge writes every sample to its results file (-o)",
    "BackendListener": "a listener: surge writes every sample to its results file (-o)",
    "Summariser": "a listener: surge prints its own summary",
    "CacheManager": "surge keeps no HTTP cache: every request is sent",
    "DNSCacheManager": "surge resolves names with the system resolver",
    "DebugSampler": "a debugging aid: it writes no sample here",
    "DebugPostProcessor": "a debugging aid",
    "ProxyControl": "the recorder (HTTP(S) Test Script Recorder) takes no part in a run",
    "WorkBench": "the workbench takes no part in a run",
    "HTTPMirrorControl": "a mirror server takes no part in a run",
    "PropertyControl": "a GUI helper",
    "KeystoreConfig": "surge uses its own TLS settings (--insecure)",
    "LoginConfig": "unused by HTTP samplers",
    "TestFragmentController": "",
}
_EXTRACTORS = {"XPathExtractor", "XPath2Extractor", "HtmlExtractor", "JMESPathExtractor"}
_SCRIPT_PREFIXES = ("JSR223", "BeanShell", "BSF")
_PLUGIN_GROUP_PREFIXES = ("kg.apc.jmeter.threads.", "com.blazemeter.jmeter.threads.")
_LISTENER_HINTS = ("ResultCollector", "Visualizer", "vizualizers", "listener", "Listener", "Collector")


@dataclass(frozen=True)
class Unsupported:
    """An element surge does not run: ``action`` is ``ignore`` or ``refuse``."""

    testclass: str
    name: str
    action: str
    reason: str
    line: int = 0

    def as_dict(self) -> dict[str, str]:
        return {"testclass": self.testclass, "name": self.name, "action": self.action}


def classify(testclass: str) -> tuple[str, str]:
    """(kind, reason): the kind is a ``KINDS`` value, ``ignore``, ``extractor`` or ``refuse``."""
    kind = KINDS.get(testclass)
    if kind is not None:
        return kind, ""
    if testclass in _IGNORED:
        return "ignore", _IGNORED[testclass]
    if testclass.startswith(_SCRIPT_PREFIXES):
        return "refuse", "a script: surge runs no JMeter scripts (rewrite it as a plan file or a Python user)"
    if testclass.startswith(_PLUGIN_GROUP_PREFIXES) or testclass == "OpenModelThreadGroup":
        return (
            "refuse",
            "a thread group surge does not schedule: use a Thread Group (users, ramp-up, duration)",
        )
    if testclass in _EXTRACTORS:
        return "extractor", "an extractor surge does not run"
    if any(hint in testclass for hint in _LISTENER_HINTS):
        return "ignore", "a listener: surge writes every sample to its results file (-o)"
    return "refuse", "an element surge does not know: the plan may not run as written without it"
