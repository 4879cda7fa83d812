"""Java: pom.xml (read after refusing any DTD) or build.gradle(.kts); the jar Maven or Gradle
builds, run on the JRE of the same version.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ...document.context import BuildContext
from ...document.parser import is_number
from .base import (
    NEW_SERVICE_DIR,
    Conversion,
    Project,
    Refused,
    default_version,
    packages,
    valid_name,
    valid_path,
    valid_version,
)

if TYPE_CHECKING:  # the plan of the multi-stage conversion that calls conversion()
    from ..multistage.plan import Plan

LANG = "java"


@dataclass
class JavaProject(Project):
    build_tool: str | None = None  # maven | gradle
    jar: str | None = None  # relative to the project root
    java_version: str | None = None
    wrapper: bool = False


PROJECT = JavaProject


def manifests(top: set[str]) -> list[str]:
    return [f for f in ("pom.xml", "build.gradle", "build.gradle.kts", "mvnw", "gradlew") if f in top]


def _xml_root(text: str):
    import xml.etree.ElementTree as ET

    if re.search(r"<!(DOCTYPE|ENTITY)", text, re.I):
        raise ValueError("the file declares a DTD or entities; not read")
    return ET.fromstring(text)


def read(ctx: BuildContext, top: set[str], files: set[str], p: JavaProject) -> None:
    if "pom.xml" in top:
        p.build_tool = "maven"
        p.wrapper = "mvnw" in top
        try:
            root = _xml_root(ctx.read_text("pom.xml") or "")
        except Exception as err:  # noqa: BLE001 - ParseError, ValueError
            p.problems.append(f"pom.xml not read: {err}")
            return
        ns = {"m": root.tag[1:].split("}", 1)[0]} if root.tag.startswith("{") else {}
        q = (lambda path: "/".join(f"m:{x}" for x in path.split("/"))) if ns else (lambda path: path)

        def text(path: str) -> str | None:
            el = root.find(q(path), ns)
            return el.text.strip() if el is not None and el.text else None

        properties = {}
        props = root.find(q("properties"), ns)
        for el in list(props) if props is not None else []:
            if isinstance(el.tag, str) and el.text:
                properties[el.tag.rsplit("}", 1)[-1]] = el.text.strip()
        # what Maven substitutes in these names: the model's own values and <properties>
        # (`${project.artifactId}` in finalName, CI-friendly `${revision}` versions)
        values = dict(properties)
        for key, path in (("artifactId", "artifactId"), ("version", "version"), ("groupId", "groupId"), ("name", "name")):
            value = text(path) or (text(f"parent/{path}") if key in ("version", "groupId") else None)
            if value is not None:
                values[f"project.{key}"] = value
                values.setdefault(key, value)

        def resolved(value: str | None) -> str | None:
            for _ in range(5):  # properties that name properties; what stays unknown keeps its ${...}
                new = re.sub(r"\$\{([A-Za-z0-9_.-]+)\}", lambda m: values.get(m.group(1), m.group()), value or "")
                if new == value or value is None:
                    break
                value = new
            return value

        artifact, version = resolved(text("artifactId")), resolved(text("version") or text("parent/version"))
        final = resolved(text("build/finalName"))
        packaging = text("packaging") or "jar"
        for key in ("properties/maven.compiler.release", "properties/java.version", "properties/maven.compiler.source"):
            v = text(key)
            if v and valid_version(v):
                p.java_version = v.split(".")[-1] if v.startswith("1.") else v.split(".")[0]
                break
        if packaging != "jar":
            p.problems.append(f"pom.xml packaging is {packaging}, not jar")
            return
        if final and "${" in final:  # the jar is named after it, never after artifactId-version
            p.problems.append(f"pom.xml finalName {final!r} uses a property imgfix cannot resolve")
            return
        if final:
            jar = f"target/{final}.jar"
        elif artifact and version and "${" not in artifact + version:
            jar = f"target/{artifact}-{version}.jar"
        else:
            p.problems.append("pom.xml does not name the jar (artifactId and version)")
            return
        if valid_path(jar):
            p.jar, p.name = jar, artifact
        else:
            p.problems.append(f"jar name {jar!r} rejected")
    elif "build.gradle" in top or "build.gradle.kts" in top:
        p.build_tool = "gradle"
        p.wrapper = "gradlew" in top
        src = ctx.read_text("build.gradle" if "build.gradle" in top else "build.gradle.kts") or ""
        m = re.search(r"languageVersion\s*(?:=|\.set\()\s*JavaLanguageVersion\.of\((\d+)\)", src) or re.search(
            r"sourceCompatibility\s*=\s*['\"]?(?:JavaVersion\.VERSION_)?(?:1[._])?(\d+)", src
        )
        if m:
            p.java_version = m.group(1)
        settings = ctx.read_text("settings.gradle") or ctx.read_text("settings.gradle.kts") or ""
        name = re.search(r"rootProject\.name\s*=\s*['\"]([^'\"]+)['\"]", settings)
        version = re.search(r"^version\s*=\s*['\"]([^'\"]+)['\"]", src, re.M)
        if name and valid_name(name.group(1)):
            p.name = name.group(1)
            jar = f"build/libs/{p.name}" + (f"-{version.group(1)}" if version else "") + ".jar"
            if valid_path(jar):
                p.jar = jar
            else:
                p.problems.append(f"jar name {jar!r} rejected")
        elif name:
            p.problems.append(f"rootProject.name {name.group(1)!r} rejected")


# ------------------------------------------------------------------ templates

def conversion(conv: Conversion, plan: Plan, project: JavaProject) -> tuple[dict, str]:
    conv.check_entry(plan, {"mvn", "mvnw", "gradle", "gradlew"})
    if not any(w and w[0].rsplit("/", 1)[-1] in {"mvn", "mvnw", "gradle", "gradlew"} for run in plan.build_runs for w in run):
        raise Refused("no RUN line builds the jar with Maven or Gradle")
    jar = None
    for _instr, words in conv.entry_words():
        flat = " ".join(words).split()
        if "-jar" in flat and flat.index("-jar") + 1 < len(flat):
            candidate = flat[flat.index("-jar") + 1]
            if "*" not in candidate and "$" not in candidate:
                jar = candidate
    jar = jar or project.jar
    if not jar:
        raise Refused("the jar's name is not known (no `java -jar PATH` and no artifactId/version or rootProject.name)")
    if not jar.startswith("/"):
        jar = f"{plan.app_dir}/{jar}"
    if not valid_path(jar):
        raise Refused(f"jar path {jar!r} is not a plain path")
    tag = conv.stage.image.tag or ""
    m = re.search(r"(?:jdk-?|temurin-|corretto-|^)(\d{1,2})(?:[.-]|$)", tag)
    version = m.group(1) if m and int(m.group(1)) >= 8 and not conv.base_is("maven", "gradle") else None
    if conv.base_is("maven", "gradle"):
        m = re.search(r"(?:jdk-?|temurin-|corretto-|openjdk-?)(\d{1,2})\b", tag)
        version = m.group(1) if m else None
    version = version or project.java_version
    if not version or not is_number(version):
        raise Refused("the Java version is not known from the image tag or the build file")
    return {"runtime_image": packages()["images"]["java"].format(version=version), "jar": jar}, ""


def new_service(p: JavaProject, notes: list[str]) -> dict:
    version = default_version(p.java_version, "java")
    if not p.jar or not valid_path(p.jar):
        raise Refused("the jar's name is not known: " + ("; ".join(p.problems) or "no pom.xml artifactId/version or rootProject.name"))
    d = packages()["init"]
    if p.build_tool == "maven":
        image = d["maven_image"].format(version=version)
        build = "./mvnw -B -DskipTests package" if p.wrapper else "mvn -B -DskipTests package"
    else:
        image = d["gradle_image"].format(version=version)
        build = "./gradlew --no-daemon build -x test" if p.wrapper else "gradle --no-daemon build -x test"
    return {"builder_image": image, "runtime_image": packages()["images"]["java"].format(version=version),
            "build_command": build, "jar": f"{NEW_SERVICE_DIR}/{p.jar}", "port": None}
