import { useEffect, useState } from "react";

/** The current time, refreshed every `interval` ms while `active` (elapsed-time counters). */
export function useNow(interval: number, active = true): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return;
    const timer = setInterval(() => setNow(Date.now()), interval);
    return () => clearInterval(timer);
  }, [interval, active]);
  return now;
}
