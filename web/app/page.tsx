"use client";
// The landing route: a signed-in user goes to the last project they used (else their first); anyone else signs in.
import { useEffect } from "react";
import { useRouter } from "next/navigation";
import { useAuth } from "@/lib/auth";
import { useProjects, lastProject } from "@/lib/tenancy";
import { ErrorNotice, Loading } from "@/components/Feedback";

export default function Home() {
  const { state } = useAuth();
  const router = useRouter();
  const projects = useProjects(state === "signed-in");
  useEffect(() => {
    if (state === "signed-out") router.replace("/login");
    if (state === "signed-in" && projects.data) {
      const remembered = lastProject();
      const target = projects.data.find((p) => p.id === remembered) ?? projects.data[0];
      router.replace(target ? `/p/${target.id}/sessions` : "/no-project");
    }
  }, [state, projects.data, router]);
  if (projects.error) return <div className="login"><ErrorNotice error={projects.error} /></div>;
  return <Loading label="Opening your project…" />;
}
