import { lazy, type ReactNode } from "react";
import { Navigate, Route, Routes, useLocation } from "react-router-dom";
import { useSession } from "./session";
import { Layout } from "./components/Layout";
import { LoginPage } from "./features/auth/LoginPage";
import { JobsPage } from "./features/jobs/JobsPage";
import { NotFoundPage } from "./features/notFound/NotFoundPage";
// Signed-out pages reached from emailed or printed links load with the app, like sign-in.
import { SetupPage } from "./features/auth/SetupPage";
import { AcceptInvitationPage } from "./features/auth/AcceptInvitationPage";
import { ResetPasswordPage } from "./features/auth/ResetPasswordPage";

// The jobs list (the landing page) and sign-in load with the app; the other
// pages, and the chart library most of them use, load on first visit.
const NewJobPage = lazy(() => import("./features/newJob/NewJobPage").then((m) => ({ default: m.NewJobPage })));
const JobDetailPage = lazy(() => import("./features/jobDetail/JobDetailPage").then((m) => ({ default: m.JobDetailPage })));
const ComparePage = lazy(() => import("./features/compare/ComparePage").then((m) => ({ default: m.ComparePage })));
const DatasetsPage = lazy(() => import("./features/datasets/DatasetsPage").then((m) => ({ default: m.DatasetsPage })));
const ValidationPage = lazy(() => import("./features/validation/ValidationPage").then((m) => ({ default: m.ValidationPage })));
const ModelsPage = lazy(() => import("./features/models/ModelsPage").then((m) => ({ default: m.ModelsPage })));
const BudgetPage = lazy(() => import("./features/budget/BudgetPage").then((m) => ({ default: m.BudgetPage })));
const BeforeAfterPage = lazy(() => import("./features/reports/BeforeAfterPage").then((m) => ({ default: m.BeforeAfterPage })));
const ReportLibraryPage = lazy(() => import("./features/reports/ReportLibraryPage").then((m) => ({ default: m.ReportLibraryPage })));
const CustomReportPage = lazy(() => import("./features/reports/CustomReportPage").then((m) => ({ default: m.CustomReportPage })));
const NewCustomReportPage = lazy(() => import("./features/reports/NewCustomReportPage").then((m) => ({ default: m.NewCustomReportPage })));
const TemplatesPage = lazy(() => import("./features/templates/TemplatesPage").then((m) => ({ default: m.TemplatesPage })));
const SettingsPage = lazy(() => import("./features/settings/SettingsPage").then((m) => ({ default: m.SettingsPage })));

function RequireSession({ children }: { children: ReactNode }) {
  const { token } = useSession();
  const location = useLocation();
  if (!token) return <Navigate to="/login" replace state={{ from: location.pathname + location.search }} />;
  return children;
}

export function App() {
  return (
    <Routes>
      <Route path="/login" element={<LoginPage />} />
      <Route path="/setup" element={<SetupPage />} />
      <Route path="/accept-invitation" element={<AcceptInvitationPage />} />
      <Route path="/reset-password" element={<ResetPasswordPage />} />
      <Route
        element={
          <RequireSession>
            <Layout />
          </RequireSession>
        }
      >
        <Route index element={<Navigate to="/jobs" replace />} />
        <Route path="jobs" element={<JobsPage />} />
        <Route path="jobs/new" element={<NewJobPage />} />
        <Route path="jobs/:id" element={<JobDetailPage />} />
        <Route path="compare" element={<ComparePage />} />
        <Route path="templates" element={<TemplatesPage />} />
        <Route path="datasets" element={<DatasetsPage />} />
        <Route path="jobs/:id/validation" element={<ValidationPage />} />
        <Route path="jobs/:id/before-after" element={<BeforeAfterPage />} />
        <Route path="reports" element={<ReportLibraryPage />} />
        <Route path="reports/custom/new" element={<NewCustomReportPage />} />
        <Route path="reports/custom/:id" element={<CustomReportPage />} />
        <Route path="models" element={<ModelsPage />} />
        <Route path="budget" element={<BudgetPage />} />
        <Route path="settings" element={<SettingsPage />} />
        <Route path="*" element={<NotFoundPage />} />
      </Route>
    </Routes>
  );
}
