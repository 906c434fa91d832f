//! Keypoints at the edge of a frame's content (the picture inside bars or a card): the edge of a
//! card's window or of bars is drawn the same in every ad made on that template, so two
//! different ads on one template would match there. The matching leaves them out.

use super::FrameFeatures;

/// `frames` without the points within `margin` pixels of their content's edge.
pub fn away_from_edges(frames: &[FrameFeatures], margin: f32) -> Vec<FrameFeatures> {
    if margin <= 0.0 {
        return frames.to_vec();
    }
    frames
        .iter()
        .map(|f| {
            let [x, y, w, h] = f.content.map(f32::from);
            let inside = |p: &[f32; 2]| {
                p[0] >= x + margin && p[0] <= x + w - margin && p[1] >= y + margin && p[1] <= y + h - margin
            };
            let keep: Vec<usize> = (0..f.points.len()).filter(|&k| inside(&f.points[k])).collect();
            FrameFeatures {
                points: keep.iter().map(|&k| f.points[k]).collect(),
                descriptors: keep.iter().map(|&k| f.descriptors[k]).collect(),
                ..f.clone()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_near_the_content_edge_go_in_their_order() {
        let frame = FrameFeatures {
            width: 100,
            height: 200,
            content: [10, 20, 80, 160],
            // Strongest first: on the left edge, inside, on the bottom edge, inside, outside.
            points: vec![[12.0, 50.0], [50.0, 100.0], [50.0, 177.0], [30.0, 30.0], [5.0, 5.0]],
            descriptors: (0..5u8).map(|d| [d; 32]).collect(),
        };
        let kept = away_from_edges(std::slice::from_ref(&frame), 6.0);
        assert_eq!(kept[0].points, vec![[50.0, 100.0], [30.0, 30.0]]);
        assert_eq!(kept[0].descriptors, vec![[1; 32], [3; 32]]);
        assert_eq!((kept[0].width, kept[0].content), (100, [10, 20, 80, 160]));
        assert_eq!(away_from_edges(std::slice::from_ref(&frame), 0.0)[0], frame, "margin 0: all kept");
    }
}
