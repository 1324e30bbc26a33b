import { graphql } from "../graphql";

// Its own module so that the cache (loaded with the app) can update the series that charts hold.
export const MetricSeriesQuery = graphql(`
  query MetricSeries($id: ID!, $names: [String!]!, $maxPoints: Int, $fromStep: Int, $toStep: Int) {
    job(id: $id) {
      id
      metricSeries(names: $names, maxPoints: $maxPoints, fromStep: $fromStep, toStep: $toStep) {
        name
        totalPoints
        downsampled
        points {
          step
          value
          epoch
          wallTime
        }
      }
    }
  }
`);
