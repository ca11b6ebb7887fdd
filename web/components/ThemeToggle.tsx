"use client";
import { useEffect, useState } from "react";

export function ThemeToggle() {
  const [theme, setTheme] = useState<string>("dark");
  useEffect(() => setTheme(document.documentElement.dataset.theme ?? "dark"), []);
  function toggle() {
    const next = theme === "dark" ? "light" : "dark";
    document.documentElement.dataset.theme = next;
    try {
      localStorage.setItem("hh-theme", next);
    } catch {
      /* not remembered */
    }
    setTheme(next);
  }
  return <button type="button" onClick={toggle} aria-label="Toggle dark theme">{theme === "dark" ? "Light theme" : "Dark theme"}</button>;
}
