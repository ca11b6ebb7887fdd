import { EmptyState } from "@/components/Feedback";

export default function Page() {
  return <EmptyState title="Coming in this change" />;
}
