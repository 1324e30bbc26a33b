import { useEffect } from "react";

/** The document title, so tabs, history and screen readers name the page. */
export function usePageTitle(title: string) {
  useEffect(() => {
    document.title = `${title} · Tuneloop`;
  }, [title]);
}
