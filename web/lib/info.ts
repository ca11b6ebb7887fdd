"use client";
import { useQuery } from "@tanstack/react-query";

export type PlatformInfo = { otlp_http_url: string; dp_url: string };

export function usePlatformInfo() {
  return useQuery({
    queryKey: ["platform-info"],
    queryFn: async () => (await (await fetch("/api/info")).json()) as PlatformInfo,
    staleTime: Infinity,
  });
}
